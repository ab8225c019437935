/// What a refill would do now: the target it fills to, the deficit, and the batches it plans.
/// The pool's level after every unfinished run is finished is `available + pending`.
///
/// Pure arithmetic, and the one place it is done: the runner plans with it, a dry run shows it,
/// and `status` reports its target and deficit. The target is the sizing policy's, unless the
/// request overrides it.
struct RefillPlan: Sendable, Equatable {
    /// Available pairs the run fills to.
    var target: Int
    /// Available (unexpired) pairs when the plan was made.
    var available: Int
    /// Pairs that unfinished runs planned and have not committed yet: on their way, since the
    /// next run finishes them with their own request ids. Counting them keeps a run from asking
    /// TOME for tokens that an earlier plan already covers.
    var pending: Int
    /// The most pairs one run plans.
    var cap: Int
    var batchSize: Int

    /// Target − available − pending, never negative.
    var deficit: Int { max(0, target - available - pending) }
    /// The deficit, but at most `cap`.
    var plannedPairs: Int { min(deficit, max(0, cap)) }
    /// The planned pairs cut into numbered batches.
    var batches: BatchPlan { BatchPlan(plannedPairs: plannedPairs, batchSize: batchSize) }

    /// The plan for `request` (whose target and cap override the sizing's and the configured ones) at `available` pairs.
    init(request: RefillRequest = RefillRequest(), sizing: SizingDecision, configuration: RefillJob.Configuration, available: Int, pending: Int = 0) {
        self.init(
            target: request.target ?? sizing.target, available: available, pending: pending,
            cap: request.maxPairs ?? configuration.sizing.maxPairsPerRun, batchSize: configuration.sizing.batchSize
        )
    }

    init(target: Int, available: Int, pending: Int = 0, cap: Int, batchSize: Int) {
        self.target = target
        self.available = available
        self.pending = pending
        self.cap = cap
        self.batchSize = batchSize
    }
}

/// How many pairs a run fetches, cut into numbered batches. Stored with the run, so that a run
/// killed half-way is finished later with exactly the same batches and TOME request ids.
struct BatchPlan: Sendable, Equatable {
    var plannedPairs: Int
    var batchSize: Int

    var batchCount: Int {
        plannedPairs == 0 ? 0 : (plannedPairs + batchSize - 1) / batchSize
    }

    /// Batch `number` holds `batchSize` pairs, except the last, which holds the rest.
    func size(ofBatch number: Int) -> Int {
        precondition(number >= 0 && number < batchCount, "batch \(number) is not in the plan")
        return min(batchSize, plannedPairs - number * batchSize)
    }

    /// The batches of run `runId` whose numbers are not in `committed`.
    func batches(runId: String, except committed: Set<Int> = []) -> [PlannedBatch] {
        (0..<batchCount).filter { !committed.contains($0) }.map { PlannedBatch(runId: runId, number: $0, size: size(ofBatch: $0)) }
    }
}

/// One batch to run: which run it belongs to, its number and its size.
///
/// Its request id is `<run id>-<batch>`; the dual-namespace client sends TOME `<request id>.ns1`
/// for the NS1 issue and `<request id>.ns2` for the NS2 tokenize, so running the batch again asks
/// TOME for no new tokens.
struct PlannedBatch: Sendable, Equatable, Hashable {
    var runId: String
    var number: Int
    var size: Int

    var requestId: String { "\(runId)-\(number)" }
}
