import Logging
import PoolDatabase

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where the job gets its sizing decisions: a refill reads the consumption history; top-ups and
/// `status` between refills update the last refill's decision from one count.
extension PrefetchJob {
    /// History buckets: fine enough for a surge within the hour, coarse enough to read weeks of it.
    static let historyBucket: Duration = .seconds(300)

    /// Now, in whole seconds: decisions are stored as ISO 8601 without fractions, and a top-up
    /// compares the time its forecast was made with what the refill answered.
    static func now() -> Date {
        Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
    }

    /// A refill's decision: from the whole history window (one grouped range scan).
    func decideFromHistory(now: Date, untilNextRefill: Duration, logger: Logger) async throws -> SizingDecision {
        let policy = configuration.sizingPolicy
        guard configuration.sizing.mode == .forecast else {
            return policy.decide(history: ConsumptionHistory(bucket: Self.historyBucket, start: now, counts: []), now: now, untilNextRefill: untilNextRefill)
        }
        let database = database
        let window = configuration.sizing.historyWindow
        let history = try await withDatabaseWork(operation: "read the consumption history", retryConnectionErrors: true, logger: logger) {
            try await PoolStatisticsReader(client: database, logger: logger).history(window: window, bucket: Self.historyBucket, end: now)
        }
        let decision = policy.decide(history: history, now: now, untilNextRefill: untilNextRefill)
        logger.info("pool sized", metadata: ["target": "\(decision.target)", "low_watermark": "\(decision.lowWatermark)", "sizing": "\(decision.explanation)"])
        return decision
    }

    /// The decision between refills, the pool's level, and whether `key` was used by a run
    /// already. Two small statements unless the last decision cannot be updated (none yet, a
    /// short history, older than two refill intervals): then the history is read as a refill does.
    func currentSizing(now: Date, key: String?, logger: Logger) async throws -> CurrentSizing {
        let store = RefillStore(client: database, logger: logger)
        let latest = try await store.latestSizing(key: key)
        let madeAt = latest.decision?.demandForecast?.madeAt ?? now
        let level = try await store.levelAndDemand(since: madeAt, recentSince: max(madeAt, now.addingTimeInterval(-900)))
        let untilNext = untilNextRefill(lastScheduledStart: latest.lastScheduledStart, now: now)
        let policy = configuration.sizingPolicy
        let maxAge = configuration.sizing.refillInterval * 2
        let decision: SizingDecision
        if let earlier = latest.decision, !policy.needsHistory(earlier, demandSince: level.demandSince, now: now, maxAge: maxAge) {
            decision = policy.update(
                earlier, demandSince: level.demandSince, demandLastQuarterHour: level.recent, now: now, untilNextRefill: untilNext
            )
        } else {
            decision = try await decideFromHistory(now: now, untilNextRefill: untilNext, logger: logger)
        }
        return CurrentSizing(decision: decision, available: level.available, fallbacks: level.fallbacks, keyUsed: latest.keyUsed)
    }

    /// Time to the next scheduled refill after the one scheduled at `lastScheduledStart`.
    func untilNextRefill(lastScheduledStart: Date?, now: Date) -> Duration {
        SizingSettings.untilNextRefill(every: configuration.sizing.refillInterval, since: lastScheduledStart.map { now.timeIntervalSince($0) })
    }
}

/// What a top-up or `status` decided, with the level it compared.
struct CurrentSizing: Sendable {
    var decision: SizingDecision
    var available: Int
    /// Cards that found the pool empty in the last 5 minutes and the last hour: the top-up
    /// publishes them every 5 minutes.
    var fallbacks: RecentFallbacks
    var keyUsed: Bool
}
