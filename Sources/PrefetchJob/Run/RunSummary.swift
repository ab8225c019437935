/// The JSON answer of a refill: what was planned, what was done, and how it ended.
public struct RunSummary: Sendable, Codable, Equatable {
    /// How the invocation ended: a `RunStatus`, or `dry_run`, or `lease_held` when another refill was filling.
    public enum Status: String, Sendable, Codable {
        case succeeded, partial, failed
        case dryRun = "dry_run"
        case leaseHeld = "lease_held"
        /// A top-up found the pool at or above its low watermark: nothing written, no TOME call.
        case notNeeded = "not_needed"
    }

    public var runId: String?
    public var idempotencyKey: String?
    public var trigger: RefillRequest.Trigger
    public var status: Status
    /// True when this answer is the stored result of an earlier run with the same idempotency key.
    public var replayed: Bool = false
    public var dryRun: Bool = false
    public var poolBefore: Int?
    public var poolAfter: Int?
    public var target: Int?
    /// Below this level a top-up refills; the low-pool alarm compares the level with it.
    public var lowWatermark: Int?
    /// How long the available pairs (after the run) last at the forecast demand; nil without a
    /// forecast, or when they last beyond its 24 hours.
    public var coverHours: Double?
    /// How the target was chosen, with the forecast and the reasons.
    public var sizing: SizingDecision?
    /// Cards that found the pool empty in the last 5 minutes and the last hour (top-ups report
    /// them, for the metrics; the alarm reads the 5-minute count).
    public var fallbacksLastFiveMinutes: Int?
    public var fallbacksLastHour: Int?
    public var deficit: Int?
    public var plannedPairs: Int?
    public var batchesPlanned: Int = 0
    public var batchesCommitted: Int = 0
    public var pairsInserted: Int = 0
    /// Pairs TOME returned that were already stored (a replayed batch) and so were not inserted again.
    public var duplicatesSkipped: Int = 0
    /// TOME calls this invocation made (issue + tokenize per batch), not counting the client's retries.
    public var tomeCalls: Int = 0
    public var durationMs: Int = 0
    /// Expired pairs this run deleted from the pool (in short batches, before it counted the pool).
    public var expiredRemoved: Int?
    /// Batches of earlier, unfinished runs that this invocation finished first.
    public var resumed: ResumedWork?
    /// Why batches stopped early, or why nothing was done.
    public var error: String?
    /// The kind of `error`: what the exit code and Lambda's errorType come from.
    public var errorKind: JobFailure.Kind?
    /// Who holds the lease, when `status` is `lease_held`.
    public var leaseHolder: LeaseHolder?

    /// Whether the invocation did what it was asked (a held lease is an answer, not a failure).
    public var isSuccess: Bool {
        switch status {
        case .succeeded, .dryRun, .leaseHeld, .notNeeded: true
        case .partial, .failed: false
        }
    }

    init(trigger: RefillRequest.Trigger, status: Status) {
        self.trigger = trigger
        self.status = status
    }
}

/// What finishing earlier runs' plans achieved before this run planned its own.
public struct ResumedWork: Sendable, Codable, Equatable {
    public var runIds: [String]
    public var batchesCommitted: Int
    public var pairsInserted: Int
    public var batchesFailed: Int
}

extension RunSummary {
    /// The summary of a run whose batches are done for this invocation, from its batch rows:
    /// succeeded when every planned batch committed, failed when none did, partial otherwise.
    init(
        finished run: RunRecord, totals: (batches: Int, inserted: Int, requested: Int), poolAfter: Int, tomeCalls: Int,
        expiredRemoved: Int?, failureKind: JobFailure.Kind, explanation: @autoclosure () -> String
    ) {
        let status: RunStatus = totals.batches == run.batchesPlanned ? .succeeded : (totals.batches == 0 ? .failed : .partial)
        self.init(trigger: run.trigger, status: Status(status))
        runId = run.runId
        idempotencyKey = run.idempotencyKey
        poolBefore = run.poolBefore
        self.poolAfter = poolAfter
        target = run.target
        deficit = run.deficit
        plannedPairs = run.plannedPairs
        batchesPlanned = run.batchesPlanned
        batchesCommitted = totals.batches
        pairsInserted = totals.inserted
        duplicatesSkipped = totals.requested - totals.inserted
        self.tomeCalls = tomeCalls
        self.expiredRemoved = expiredRemoved
        if status != .succeeded {
            error = explanation()
            errorKind = failureKind
        }
    }

    /// Adds the sizing decision, its low watermark, and how long `poolAfter` pairs last at its forecast.
    mutating func describe(_ sizing: SizingDecision, poolAfter: Int) {
        self.sizing = sizing
        lowWatermark = sizing.lowWatermark
        coverHours = sizing.hoursCovered(by: poolAfter, at: sizing.decidedAt)
    }

    /// The stored status of a finished run; dry runs and held leases are never stored.
    var runStatus: RunStatus {
        switch status {
        case .succeeded: .succeeded
        case .partial: .partial
        case .failed, .dryRun, .leaseHeld, .notNeeded: .failed
        }
    }
}

extension RunSummary.Status {
    init(_ status: RunStatus) {
        switch status {
        case .succeeded: self = .succeeded
        case .partial: self = .partial
        case .failed, .running: self = .failed
        }
    }
}

extension RunSummary {
    /// The fallbacks a top-up reports, for the metrics.
    mutating func recordFallbacks(_ fallbacks: RecentFallbacks) {
        fallbacksLastFiveMinutes = fallbacks.lastFiveMinutes
        fallbacksLastHour = fallbacks.lastHour
    }
}
