/// Decides which batch starts next: at most `concurrency` in flight, none started once a
/// batch has failed, the lease is lost, or the deadline is too close for another batch.
///
/// A state machine without I/O (its driver runs the batches), so every stopping rule is tested alone.
struct BatchScheduler {
    enum Action: Equatable {
        /// Start this batch now.
        case start(PlannedBatch)
        /// Wait for a batch in flight to finish, then ask again.
        case waitForCompletion
        /// Nothing is in flight and nothing more will start.
        case finished
    }

    /// Why batches stopped starting before the plan was done.
    enum StopReason: Equatable {
        case batchFailed
        case deadline
        case leaseLost
    }

    private var pending: [PlannedBatch]
    private let concurrency: Int
    private let deadline: ContinuousClock.Instant?
    private let margin: Duration
    private(set) var inFlight = 0
    private(set) var stopReason: StopReason?
    /// The slowest batch so far: the estimate of how long the next one takes.
    private(set) var slowestBatch: Duration = .zero

    init(batches: [PlannedBatch], concurrency: Int, deadline: ContinuousClock.Instant?, margin: Duration) {
        self.pending = batches.reversed()
        self.concurrency = max(1, concurrency)
        self.deadline = deadline
        self.margin = margin
    }

    var remaining: Int { pending.count }

    mutating func next(now: ContinuousClock.Instant) -> Action {
        if stopReason == nil, let deadline, !pending.isEmpty, now + slowestBatch + margin > deadline {
            stopReason = .deadline
        }
        if stopReason == nil, inFlight < concurrency, let batch = pending.popLast() {
            inFlight += 1
            return .start(batch)
        }
        return inFlight > 0 ? .waitForCompletion : .finished
    }

    mutating func completed(succeeded: Bool, duration: Duration) {
        precondition(inFlight > 0, "a batch completed that was never started")
        inFlight -= 1
        slowestBatch = max(slowestBatch, duration)
        if !succeeded && stopReason == nil { stopReason = .batchFailed }
    }

    mutating func leaseLost() {
        if stopReason == nil { stopReason = .leaseLost }
    }
}
