/// What one invocation of the job is asked to do.
public enum JobEvent: Sendable, Equatable {
    /// Fill the pool up to its target.
    case refill(RefillRequest)
    /// Between hourly refills: refill to the target only when the pool is below its low watermark.
    case topUp(RefillRequest)
    /// Report the pool's level and the last runs; writes nothing.
    case status
    /// Apply `schema.sql` (idempotent): the schema through the function itself, where only the
    /// function reaches the database (RDS in private subnets).
    case migrate
}

/// A refill, from the hourly schedule or from on-call.
public struct RefillRequest: Sendable, Equatable {
    public enum Trigger: String, Sendable, Codable {
        case scheduled, manual
        case topUp = "top-up"
    }

    public var trigger: Trigger
    /// Replays of the same key return the first run's result. Nil gets a fresh key per run.
    public var idempotencyKey: String?
    /// Overrides the configured pool target for this run.
    public var target: Int?
    /// Overrides the configured cap on pairs planned by this run.
    public var maxPairs: Int?
    /// Plans and reports, writes nothing and calls no TOME.
    public var dryRun: Bool
    /// Why on-call asked for it; stored with the run.
    public var reason: String?

    public init(
        trigger: Trigger = .manual,
        idempotencyKey: String? = nil,
        target: Int? = nil,
        maxPairs: Int? = nil,
        dryRun: Bool = false,
        reason: String? = nil
    ) {
        self.trigger = trigger
        self.idempotencyKey = idempotencyKey
        self.target = target
        self.maxPairs = maxPairs
        self.dryRun = dryRun
        self.reason = reason
    }
}
