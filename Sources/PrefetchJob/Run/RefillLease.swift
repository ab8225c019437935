import Logging
import PoolDatabase
import Synchronization

/// The refill lease: one filler at a time. Renewed in the background at a third of its
/// lifetime while the body runs, so a killed holder's lease lapses within one lifetime.
struct RefillLease: Sendable {
    let store: RefillStore
    let holder: String
    let timeToLive: Duration
    let logger: Logger

    /// Set when a renewal finds that another holder took the lease (ours lapsed): stop starting batches.
    final class State: Sendable {
        private let lost = Atomic<Bool>(false)
        var isLost: Bool { lost.load(ordering: .relaxed) }
        func markLost() { lost.store(true, ordering: .relaxed) }
    }

    /// Runs `body` holding the lease, or returns who holds it without running `body`.
    func withLease<Result: Sendable>(
        runId: String?,
        _ body: @escaping @Sendable (State) async throws -> Result
    ) async throws -> Swift.Result<Result, LeaseHeldError> {
        if let current = try await store.acquireLease(holder: holder, runId: runId, ttl: timeToLive) {
            return .failure(LeaseHeldError(holder: current))
        }
        let state = State()
        let result: Result
        do {
            result = try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { [self] in
                    try await renewUntilCancelled(state)
                    return nil
                }
                group.addTask { try await body(state) }
                while let finished = try await group.next() {
                    if let finished {
                        group.cancelAll()
                        return finished
                    }
                }
                throw CancellationError()
            }
        } catch {
            try? await store.releaseLease(holder: holder)
            throw error
        }
        try? await store.releaseLease(holder: holder)
        return .success(result)
    }

    private func renewUntilCancelled(_ state: State) async throws {
        while !Task.isCancelled {
            try await Task.sleep(for: timeToLive / 3)
            do {
                if try await !store.renewLease(holder: holder, ttl: timeToLive) {
                    logger.error("the refill lease was taken by another holder; no new batch will start")
                    state.markLost()
                    return
                }
            } catch {
                // A missed renewal is not fatal: the lease lasts three periods.
                logger.warning("could not renew the refill lease", metadata: [JobLogKey.error: "\(error)"])
            }
        }
    }
}

/// Another refill holds the lease.
struct LeaseHeldError: Error {
    let holder: LeaseHolder
}
