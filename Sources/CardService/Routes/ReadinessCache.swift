import Synchronization

/// The last readiness check's result, reused while it is younger than `maxAge`: a load balancer
/// (and each of its nodes) polls readiness, and a query per poll adds load on the database exactly
/// when it is struggling. One check runs at a time; polls meanwhile answer with the last result.
final class ReadinessCache: Sendable {
    private struct State {
        var ready: Bool?
        var checkedAt: ContinuousClock.Instant?
        var checking = false
    }

    private let maxAge: Duration
    private let state = Mutex(State())

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// Whether the service is ready: the last result while it is fresh, else `check` run now.
    func isReady(now: ContinuousClock.Instant = .now, check: () async -> Bool) async -> Bool {
        let shouldCheck = state.withLock { state -> Bool in
            let stale = state.checkedAt.map { now - $0 >= maxAge } ?? true
            guard stale, !state.checking else { return false }
            state.checking = true
            return true
        }
        // Another poll is checking: its answer is at most one check old.
        guard shouldCheck else { return state.withLock { $0.ready ?? false } }
        let ready = await check()
        state.withLock { state in
            state.checking = false
            state.ready = ready
            state.checkedAt = ContinuousClock.now
        }
        return ready
    }
}
