import Logging
import PoolDatabase
import PostgresNIO
import TOMEClient

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The job's reads and writes, each one statement, retried as a whole on serialization failures
/// and broken connections (`retrying`).
struct RefillStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    func findRun(key: String) async throws -> RunRecord? {
        try await runs(RefillSQL.findRun(key: key), operation: "look up the idempotency key").first
    }

    func unfinishedRuns() async throws -> [RunRecord] {
        try await runs(RefillSQL.unfinishedRuns, operation: "find unfinished runs")
    }

    /// Pairs that unfinished runs planned and have not committed yet.
    func pendingPairs() async throws(DatabaseError) -> Int {
        try await retrying("count pending pairs of unfinished runs") {
            for try await pending in try await client.query(RefillSQL.pendingPairs, logger: logger).decode(Int.self) { return pending }
            return 0
        }
    }

    /// The newest finished run's sizing decision (nil when it stored none), when the last
    /// scheduled refill started, and whether a run with `key` exists; one statement.
    func latestSizing(key: String?) async throws -> LatestSizing {
        let row = try await retrying("read the latest sizing decision") {
            for try await row in try await client.query(RefillSQL.latestSizing(key: key ?? ""), logger: logger)
                .decode((String?, String?, Date?, Bool).self) {
                return row
            }
            return (nil, nil, nil, false)
        }
        let decision = try row.1.flatMap { json throws(StoredRunError) in
            try StoredRunResult.decode(json, runId: row.0 ?? "?").summary.sizing
        }
        return LatestSizing(decision: decision, lastScheduledStart: row.2, keyUsed: key != nil && row.3)
    }

    /// Available pairs, cards assigned since `since` and since `recentSince`, and fallbacks in the
    /// last 5 minutes and the last hour; one statement.
    func levelAndDemand(since: Date, recentSince: Date) async throws(DatabaseError) -> LevelAndDemand {
        try await retrying("count available pairs and recent assignments") {
            let query = RefillSQL.levelAndDemand(since: since, recentSince: recentSince)
            for try await row in try await client.query(query, logger: logger).decode((Int, Int, Int, Int, Int).self) {
                return LevelAndDemand(
                    available: row.0, demandSince: row.1, recent: row.2,
                    fallbacks: RecentFallbacks(lastFiveMinutes: row.3, lastHour: row.4)
                )
            }
            return LevelAndDemand(available: 0, demandSince: 0, recent: 0, fallbacks: RecentFallbacks(lastFiveMinutes: 0, lastHour: 0))
        }
    }

    func committedBatchNumbers(runId: String) async throws(DatabaseError) -> Set<Int> {
        try await retrying("read committed batches") {
            var numbers = Set<Int>()
            for try await number in try await client.query(RefillSQL.committedBatchNumbers(runId: runId), logger: logger).decode(Int.self) {
                numbers.insert(number)
            }
            return numbers
        }
    }

    func insertRun(_ run: RunRecord) async throws(DatabaseError) {
        try await retrying("record the run's plan") {
            _ = try await client.query(RefillSQL.insertRun(run), logger: logger)
        }
    }

    /// Commits one batch's pairs with its batch row; returns the pairs inserted, or nil when the
    /// batch had been committed before. Idempotent, so broken connections are retried too.
    func commitBatch(runId: String, batchNo: Int, requestId: String, pairs: [TokenPair], timeToLive: Duration?) async throws(DatabaseError) -> Int? {
        let query = RefillSQL.commitBatch(
            runId: runId, batchNo: batchNo, requestId: requestId,
            ns1Tokens: pairs.map(\.ns1Token), ns2Tokens: pairs.map(\.ns2Token),
            timeToLiveSeconds: timeToLive.map { Int($0.components.seconds) }
        )
        return try await retrying("commit a batch") {
            for try await inserted in try await client.query(query, logger: logger).decode(Int.self) {
                return inserted
            }
            return nil
        }
    }

    func runTotals(runId: String) async throws(DatabaseError) -> (batches: Int, inserted: Int, requested: Int) {
        try await retrying("sum the run's batches") {
            for try await totals in try await client.query(RefillSQL.runTotals(runId: runId), logger: logger).decode((Int, Int, Int).self) {
                return totals
            }
            return (0, 0, 0)
        }
    }

    func finishRun(runId: String, status: RunStatus, poolAfter: Int, error: String?, result: String) async throws(DatabaseError) {
        try await retrying("record the run's result") {
            _ = try await client.query(
                RefillSQL.finishRun(runId: runId, status: status, poolAfter: poolAfter, error: error, result: result),
                logger: logger
            )
        }
    }

    /// Deletes expired pairs in batches of `batchSize`, each its own statement, until none are
    /// left or `maxBatches` ran (the next run goes on). Returns how many were deleted.
    func removeExpired(batchSize: Int, maxBatches: Int) async throws(DatabaseError) -> Int {
        var removed = 0
        for _ in 0..<maxBatches {
            let deleted = try await retrying("delete expired pairs") {
                let rows = try await client.query(RefillSQL.deleteExpired(limit: batchSize), logger: logger)
                for try await count in rows.decode(Int.self) { return count }
                return 0
            }
            removed += deleted
            if deleted < batchSize { break }
        }
        return removed
    }

    func availableCount() async throws(DatabaseError) -> Int {
        try await retrying("count available pairs") {
            try await PoolStatisticsReader(client: client, logger: logger).availableCount()
        }
    }

    /// Takes the lease, or returns who holds it.
    func acquireLease(holder: String, runId: String?, ttl: Duration) async throws(DatabaseError) -> LeaseHolder? {
        try await retrying("take the refill lease") {
            let rows = try await client.query(
                RefillSQL.acquireLease(holder: holder, runId: runId, ttlMilliseconds: Int(ttl.components.seconds * 1000)),
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return nil }
            return try await currentLeaseHolder() ?? LeaseHolder(holder: "unknown", runId: nil, expiresInSeconds: 0)
        }
    }

    /// Extends the lease; false when another holder has taken it.
    func renewLease(holder: String, ttl: Duration) async throws(DatabaseError) -> Bool {
        try await retrying("renew the refill lease") {
            let rows = try await client.query(
                RefillSQL.renewLease(holder: holder, ttlMilliseconds: Int(ttl.components.seconds * 1000)),
                logger: logger
            )
            for try await _ in rows.decode(String.self) { return true }
            return false
        }
    }

    func releaseLease(holder: String) async throws(DatabaseError) {
        try await retrying("release the refill lease") {
            _ = try await client.query(RefillSQL.releaseLease(holder: holder), logger: logger)
        }
    }

    func currentLeaseHolder() async throws(DatabaseError) -> LeaseHolder? {
        try await retrying("read the refill lease") {
            for try await (holder, runId, seconds) in try await client.query(RefillSQL.leaseHolder, logger: logger).decode((String, String?, Double).self) {
                return LeaseHolder(holder: holder, runId: runId, expiresInSeconds: seconds)
            }
            return nil
        }
    }

    func recentRuns(limit: Int) async throws -> [RunOverview] {
        let rows = try await rows(RefillSQL.recentRuns(limit: limit), operation: "read recent runs")
        return try rows.map(RunOverview.init(row:))
    }

    func samplePairs(pooled limit: Int) async throws(DatabaseError) -> [TokenPair] {
        try await pairs(RefillSQL.samplePooledPairs(limit: limit), operation: "sample pooled pairs")
    }

    func samplePairs(assigned limit: Int) async throws(DatabaseError) -> [TokenPair] {
        try await pairs(RefillSQL.sampleAssignedPairs(limit: limit), operation: "sample assigned pairs")
    }

    private func pairs(_ query: PostgresQuery, operation: String) async throws(DatabaseError) -> [TokenPair] {
        try await retrying(operation) {
            var pairs: [TokenPair] = []
            for try await (ns1, ns2) in try await client.query(query, logger: logger).decode((String, String).self) {
                pairs.append(TokenPair(ns1Token: ns1, ns2Token: ns2))
            }
            return pairs
        }
    }

    private func runs(_ query: PostgresQuery, operation: String) async throws -> [RunRecord] {
        try await rows(query, operation: operation).map(RunRecord.init(row:))
    }

    /// Every row of `query`, read with the store's retries; decoded by the row types (`RefillRows.swift`).
    private func rows(_ query: PostgresQuery, operation: String) async throws(DatabaseError) -> [PostgresRow] {
        try await retrying(operation) {
            var rows: [PostgresRow] = []
            for try await row in try await client.query(query, logger: logger) { rows.append(row) }
            return rows
        }
    }

    /// `withDatabaseWork` with this store's logger. Every statement of the store may run twice
    /// (the refill's idempotency rules), so a broken connection is retried too.
    private func retrying<Result: Sendable>(_ operation: String, _ work: @escaping @Sendable () async throws -> Result) async throws(DatabaseError) -> Result {
        try await withDatabaseWork(operation: operation, retryConnectionErrors: true, logger: logger, work)
    }
}

/// What a top-up reads before it decides: the decision to update, and when the hourly refill last ran.
/// What a top-up compares and reports: the level, the demand since the forecast, and fallbacks.
struct LevelAndDemand: Sendable {
    var available: Int
    var demandSince: Int
    var recent: Int
    var fallbacks: RecentFallbacks
}

/// Cards that found the pool empty lately.
struct RecentFallbacks: Sendable {
    var lastFiveMinutes: Int
    var lastHour: Int
}

struct LatestSizing: Sendable {
    var decision: SizingDecision?
    var lastScheduledStart: Date?
    /// A run with the event's idempotency key exists: a retried firing, which finishes or replays it.
    var keyUsed: Bool
}

/// One line of `tome-prefetch status`'s run list.
public struct RunOverview: Sendable, Codable, Equatable {
    public var runId: String
    public var trigger: String
    public var status: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var target: Int
    public var plannedPairs: Int
    public var batchesPlanned: Int
    public var batchesCommitted: Int
    public var pairsInserted: Int
    /// Expired pairs the run deleted; nil while it runs, and for runs stored before it was counted.
    public var expiredRemoved: Int?
    public var error: String?
    public var reason: String?
}
