/// What a set of batches achieved in this invocation.
struct Execution {
    var committed = 0
    var inserted = 0
    var alreadyCommitted = 0
    var failed = 0
    var tomeCalls = 0
    var firstFailure: JobFailure?
    var stopReason: BatchScheduler.StopReason?

    var done: Int { committed + alreadyCommitted + failed }

    mutating func record(_ outcome: BatchExecutor.FinishedBatch) {
        tomeCalls += outcome.tomeCalls
        switch outcome.result {
        case .committed(let count):
            committed += 1
            inserted += count
        case .alreadyCommitted:
            alreadyCommitted += 1
        case .failed(let failure):
            failed += 1
            if firstFailure == nil { firstFailure = failure }
        }
    }

    /// Why batches stopped early: the kind that the summary, the exit code and Lambda's errorType use.
    var failureKind: JobFailure.Kind {
        switch stopReason {
        case .deadline: .deadline
        case .leaseLost: .lease
        case .batchFailed, nil: firstFailure?.kind ?? .other
        }
    }

    /// Why batches stopped; `deadlineMargin`, the time the run kept before its deadline, is named
    /// when the deadline stopped them.
    func explanation(remaining: Int, deadlineMargin: Duration) -> String {
        let why: String =
            switch stopReason {
            case .deadline:
                "the deadline was too close to start another batch (the run keeps \(deadlineMargin.components.seconds) s before it: REFILL_DEADLINE_MARGIN_MS, by default the longest batch the TOME timeouts and retries allow)"
            case .leaseLost: "the refill lease was lost"
            case .batchFailed: firstFailure?.description ?? "a batch failed"
            case nil: firstFailure?.description ?? "batches did not complete"
            }
        return "\(remaining) planned batches not committed: \(why); the next run finishes them"
    }
}
