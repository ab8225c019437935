import Synchronization

/// Logs an empty pool once per burst: the first fallback, then at most one line per interval
/// with how many fallbacks were not logged, so a drained pool does not flood the logs.
final class FallbackLog: Sendable {
    private struct State {
        var lastLogged: ContinuousClock.Instant?
        var unlogged = 0
    }

    private let state = Mutex(State())
    private let interval: Duration

    init(interval: Duration) {
        self.interval = interval
    }

    /// Nil when this fallback should not be logged; otherwise how many went unlogged before it.
    func shouldLog(now: ContinuousClock.Instant = .now) -> Int? {
        state.withLock { state in
            if let last = state.lastLogged, now - last < interval {
                state.unlogged += 1
                return nil
            }
            let unlogged = state.unlogged
            state.lastLogged = now
            state.unlogged = 0
            return unlogged
        }
    }
}
