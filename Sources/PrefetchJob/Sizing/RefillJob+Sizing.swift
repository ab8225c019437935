import Logging
import PoolDatabase

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the job gets what its sizing decisions need: the consumption history for a refill; for
/// top-ups and `status` between refills, what `SizingPolicy.topUp` asks for (two counts, and the
/// history when those cannot do). The decisions themselves are the policy's, the same ones the
/// demand simulator runs.
extension RefillJob {
    /// Now, in whole seconds: decisions are stored as ISO 8601 without fractions, and a top-up
    /// compares the time its forecast was made with what the refill answered.
    static func now() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    /// The hourly refill's decision, from the whole history window (one grouped range scan).
    func scheduledRefillSizing(now: Date, logger: Logger) async throws -> SizingDecision {
        let decision = configuration.sizingPolicy.scheduledRefill(history: try await history(now: now, logger: logger), now: now)
        logSized(decision, logger: logger)
        return decision
    }

    /// A top-up's decision at `now`, with what it read: two small statements, and the history
    /// only when the policy asks for it (no decision yet, a short history, one too old).
    func topUpSizing(now: Date, key: String?, logger: Logger) async throws -> CurrentSizing {
        let store = RefillStore(client: database, logger: logger)
        let latest = try await store.latestSizing(key: key)
        let madeAt = latest.decision?.demandForecast?.madeAt ?? now
        let level = try await store.levelAndDemand(since: madeAt, recentSince: max(madeAt, now.addingTimeInterval(-900)))
        let observed = PoolObservation(
            now: now, earlier: latest.decision, demandSince: level.demandSince, demandLastQuarterHour: level.recent,
            available: level.available, sinceScheduledRefill: latest.lastScheduledStart.map { now.timeIntervalSince($0) }
        )
        let policy = configuration.sizingPolicy
        let decision: TopUpDecision
        if let updated = policy.topUp(observed) {
            decision = updated
        } else {
            decision = policy.topUp(observed, history: try await history(now: now, logger: logger))
            logSized(decision.sizing, logger: logger)
        }
        return CurrentSizing(decision: decision, available: level.available, fallbacks: level.fallbacks, keyUsed: latest.keyUsed)
    }

    /// A decision made from the whole history: what on-call reads to see why the target moved.
    private func logSized(_ decision: SizingDecision, logger: Logger) {
        logger.info("pool sized", metadata: ["target": "\(decision.target)", "low_watermark": "\(decision.lowWatermark)", "sizing": "\(decision.explanation)"])
    }

    /// The consumption history the forecast reads; none under the static policy.
    private func history(now: Date, logger: Logger) async throws -> ConsumptionHistory {
        guard configuration.sizingPolicy.readsHistory else { return ConsumptionHistory.none(at: now) }
        let database = database
        let window = configuration.sizing.historyWindow
        return try await withDatabaseWork(operation: "read the consumption history", retryConnectionErrors: true, logger: logger) {
            try await PoolStatisticsReader(client: database, logger: logger).history(window: window, bucket: ConsumptionHistory.sizingBucket, end: now)
        }
    }
}

/// What a top-up or `status` decided, with the level it compared.
struct CurrentSizing: Sendable {
    var decision: TopUpDecision
    var available: Int
    /// Cards that found the pool empty in the last 5 minutes and the last hour: the top-up
    /// publishes them every 5 minutes.
    var fallbacks: RecentFallbacks
    var keyUsed: Bool
}
