import Synchronization

/// A value read again only once it is older than `maxAge`, by one caller at a time: callers that
/// come while it is fresh, or while another caller reads it, answer with the last value.
///
/// Both `/metrics` (the pool's level) and `/health/ready` (the database check) keep one: each is
/// polled by several scrapers or load balancer nodes, and a query per poll adds load on the
/// database exactly when it is struggling.
final class RecentValue<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var readAt: ContinuousClock.Instant?
        var reading = false
    }

    private let maxAge: Duration
    private let state = Mutex(State())

    init(maxAge: Duration) {
        self.maxAge = maxAge
    }

    /// The last value while it is younger than `maxAge`; otherwise `read` runs now. A nil read
    /// (it failed) keeps the last value, so one failed read does not blank the answer; nil until
    /// a read succeeded.
    func value(now: ContinuousClock.Instant = .now, read: () async -> Value?) async -> Value? {
        let shouldRead = state.withLock { state -> Bool in
            let stale = state.readAt.map { now - $0 >= maxAge } ?? true
            guard stale, !state.reading else { return false }
            state.reading = true
            return true
        }
        // Another caller is reading: its answer is at most one read old.
        guard shouldRead else { return state.withLock { $0.value } }
        let fresh = await read()
        return state.withLock { state in
            state.reading = false
            if let fresh {
                state.value = fresh
                state.readAt = now
            }
            return state.value
        }
    }
}
