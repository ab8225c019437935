import Logging
import PoolDatabase

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The pool's own demand as a trace for the demand simulator: what `simulate --from-database`
/// replays to ask what another `POOL_COVER_HOURS` would have cost and saved.
extension RefillJob {
    /// Assignments per 5-minute bucket over the history window (`POOL_HISTORY_DAYS`) up to `now`:
    /// the read the forecast makes, so a replay sees the demand the job sized the pool from.
    /// Reads only: no lease, no TOME.
    ///
    /// The window's buckets before the first recorded card are trimmed: a pool younger than the
    /// window has no history there, not a quiet stretch. Values are cards, as recorded.
    /// - Throws: `DatabaseError` when the database fails; `SimulationError` when no card was
    ///   recorded in the window.
    public func recordedDemand(now: Date = Date()) async throws -> DemandTrace {
        let database = database
        let logger = logger
        let window = configuration.sizing.historyWindow
        let history = try await withDatabaseWork(operation: "read the consumption history", retryConnectionErrors: true, logger: logger) {
            try await PoolStatisticsReader(client: database, logger: logger).history(window: window, bucket: ConsumptionHistory.sizingBucket, end: now)
        }
        guard let first = history.counts.firstIndex(where: { $0 > 0 }) else {
            let days = configuration.sizing.historyDays
            throw SimulationError("the pool has recorded no assignments in the last \(days) day\(days == 1 ? "" : "s") (POOL_HISTORY_DAYS): nothing to replay")
        }
        let step = Int(history.bucket.components.seconds)
        return DemandTrace(
            start: Int(history.start.timeIntervalSince1970) + first * step, step: step,
            values: history.counts[first...].map(Double.init)
        )
    }
}
