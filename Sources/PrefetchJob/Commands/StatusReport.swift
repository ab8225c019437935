public import Logging
public import PoolDatabase

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `tome-prefetch status` and a status event report.
public struct StatusReport: Sendable, Codable, Equatable {
    public var pool: PoolStatistics
    /// What a refill now would fill to.
    public var target: Int
    /// Below this a top-up refills, and the low-pool alarm counts the pool as low.
    public var lowWatermark: Int
    public var deficit: Int
    /// How long the available pairs last at the forecast demand; nil without a forecast or beyond its 24 hours.
    public var coverHours: Double?
    /// How the target and low watermark were chosen.
    public var sizing: SizingDecision
    /// At the last hour's pace, how long the pool lasts; nil when nothing was assigned in the last hour.
    public var hoursUntilEmpty: Double?
    public var schemaVersion: Int?
    public var leaseHolder: LeaseHolder?
    public var lastRuns: [RunOverview]
}

extension RefillJob {
    /// The pool's level, the last runs and the lease. Reads only; needs no TOME.
    public func status(logger: Logger? = nil) async throws -> StatusReport {
        let logger = logger ?? self.logger
        let store = RefillStore(client: database, logger: logger)
        let database = database
        let pool = try await withDatabaseWork(operation: "read pool statistics", retryConnectionErrors: true, logger: logger) {
            try await PoolStatisticsReader(client: database, logger: logger).statistics()
        }
        let sizing = try await topUpSizing(now: Self.now(), key: nil, logger: logger).decision.sizing
        let plan = RefillPlan(sizing: sizing, configuration: configuration, available: pool.available)
        return StatusReport(
            pool: pool,
            target: plan.target,
            lowWatermark: sizing.lowWatermark,
            deficit: plan.deficit,
            coverHours: sizing.hoursCovered(by: pool.available, at: sizing.decidedAt),
            sizing: sizing,
            hoursUntilEmpty: pool.hoursUntilEmpty,
            schemaVersion: try await Schema.currentVersion(database, logger: logger),
            leaseHolder: try await store.currentLeaseHolder(),
            lastRuns: try await store.recentRuns(limit: 5)
        )
    }

    /// Applies `schema.sql`; returns the schema version now in the database.
    public func migrate() async throws -> Int {
        try await Schema.migrate(database, logger: logger)
    }
}

extension StatusReport {
    /// The report as on-call reads it in a terminal.
    public func text() -> String {
        var lines: [String] = []
        lines.append("pool:        \(pool.available) available of target \(target) (deficit \(deficit)), low below \(lowWatermark)\(pool.available < lowWatermark ? ": LOW" : "")")
        lines.append("sizing:      \(sizing.explanation)")
        if let coverHours {
            lines.append("covers:      \(SizingDecision.hours(coverHours)) of forecast demand (outage cover \(SizingDecision.hours(sizing.outageCoverHours)))")
        } else if sizing.demandForecast != nil {
            lines.append("covers:      over \(DemandForecast.spanHours) h of forecast demand")
        }
        lines.append("expired:     \(pool.expired) waiting to be removed by the next refill (never handed out)")
        if let oldest = pool.oldestFetchedAt {
            lines.append("oldest pair: fetched \(oldest.formatted(.iso8601))")
        }
        lines.append("assigned:    \(pool.assignedLastHour) in the last hour, \(pool.assignedLastDay) in 24 h (\(pool.fallbacksLastHour) and \(pool.fallbacksLastDay) straight from TOME)")
        if let hours = hoursUntilEmpty {
            lines.append("empty in:    about \(hours < 1 ? "\(Int(hours * 60)) minutes" : "\(Int(hours)) hours") at the last hour's pace")
        } else {
            lines.append("empty in:    no assignments in the last hour")
        }
        if let lease = leaseHolder {
            lines.append("lease:       held by \(lease.holder) (run \(lease.runId ?? "-")), \(Int(lease.expiresInSeconds)) s left")
        } else {
            lines.append("lease:       free")
        }
        lines.append("schema:      version \(schemaVersion.map(String.init) ?? "none (run `tome-prefetch migrate`)")")
        lines.append("last runs:")
        if lastRuns.isEmpty { lines.append("  none") }
        for run in lastRuns {
            var line = "  \(run.startedAt.formatted(.iso8601))  \(run.trigger.padding(9))  \(run.status.padding(9))  "
            line += "\(run.batchesCommitted)/\(run.batchesPlanned) batches, \(run.pairsInserted) pairs"
            if let removed = run.expiredRemoved, removed > 0 { line += ", \(removed) expired removed" }
            line += "  run \(run.runId)"
            if let error = run.error { line += "\n      error: \(error)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
