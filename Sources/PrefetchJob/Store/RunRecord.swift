/// A `refill_run` row: the run's plan and how it ended.
struct RunRecord: Sendable, Equatable {
    var runId: String
    var idempotencyKey: String
    var trigger: RefillRequest.Trigger
    var reason: String?
    var status: RunStatus
    var target: Int
    var poolBefore: Int
    var deficit: Int
    var plannedPairs: Int
    var batchSize: Int
    var batchesPlanned: Int
    /// The stored JSON summary of a finished run.
    var result: String?

    var plan: BatchPlan {
        BatchPlan(plannedPairs: plannedPairs, batchSize: batchSize)
    }
}

/// How a run ended, as stored in `refill_run.status`.
public enum RunStatus: String, Sendable, Codable {
    /// Planned and working, or killed while working (its plan is finished by the next run).
    case running
    /// Every planned batch committed.
    case succeeded
    /// Some batches committed, others did not (deadline, TOME or database failure); finished later.
    case partial
    /// No batch committed.
    case failed
}

/// Who holds the refill lease, for the report of a run that could not take it.
public struct LeaseHolder: Sendable, Equatable, Codable {
    public var holder: String
    public var runId: String?
    public var expiresInSeconds: Double
}
