import Logging
import PoolDatabase
import PostgresNIO
import Synchronization

/// The pool's available pairs for `/metrics`, read at most once per `refreshInterval`.
///
/// A `count(*)` over the pool per scrape costs a scan of the pool for every scraper (Prometheus
/// replicas, an agent, a curious engineer); a level fifteen seconds old is as good for alerting.
/// One scrape refreshes at a time; the others answer with the last value.
final class PoolLevelCache: Sendable {
    private struct State {
        var available: Int?
        var readAt: ContinuousClock.Instant?
        var refreshing = false
    }

    private let database: PostgresClient
    private let refreshInterval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(database: PostgresClient, refreshInterval: Duration, logger: Logger) {
        self.database = database
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The cached level, refreshed first when it is older than the interval; nil until a read succeeded.
    func available(now: ContinuousClock.Instant = .now) async -> Int? {
        let shouldRefresh = state.withLock { state -> Bool in
            let stale = state.readAt.map { now - $0 >= refreshInterval } ?? true
            guard stale, !state.refreshing else { return false }
            state.refreshing = true
            return true
        }
        guard shouldRefresh else { return state.withLock { $0.available } }
        let database = database
        let logger = logger
        let fresh = try? await withTimeout(.seconds(2)) { try await PoolStatisticsReader(client: database, logger: logger).availableCount() }
        return state.withLock { state in
            state.refreshing = false
            if let fresh {
                state.available = fresh
                state.readAt = now
            }
            return state.available
        }
    }
}
