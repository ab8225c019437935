public import Logging
public import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Reads `PoolStatistics` and `ConsumptionHistory` from the database, each in one statement.
public struct PoolStatisticsReader: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func statistics() async throws(DatabaseError) -> PoolStatistics {
        do {
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT
                            (SELECT count(*) FROM token_pool WHERE \(PairCondition.available)),
                            (SELECT count(*) FROM token_pool WHERE \(PairCondition.expired)),
                            (SELECT min(fetched_at) FROM token_pool),
                            (SELECT count(*) FROM token_assignment WHERE assigned_at > now() - INTERVAL '1 hour'),
                            (SELECT count(*) FROM token_assignment WHERE assigned_at > now() - INTERVAL '24 hours'),
                            \(FallbackCount.lastFiveMinutes),
                            \(FallbackCount.lastHour),
                            \(FallbackCount.lastDay)
                        """
                ),
                logger: logger
            )
            for try await (available, expired, oldest, hour, day, fallbacksFiveMinutes, fallbacksHour, fallbacksDay)
                in rows.decode((Int, Int, Date?, Int, Int, Int, Int, Int).self)
            {
                return PoolStatistics(
                    available: available, expired: expired, oldestFetchedAt: oldest, assignedLastHour: hour,
                    assignedLastDay: day, fallbacksLastFiveMinutes: fallbacksFiveMinutes, fallbacksLastHour: fallbacksHour,
                    fallbacksLastDay: fallbacksDay
                )
            }
            throw DatabaseError(operation: "read pool statistics", underlying: PoolStatisticsMissing())
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw DatabaseError(operation: "read pool statistics", underlying: error)
        }
    }

    /// Counts the available (unexpired) pairs: the number a refill compares with its target.
    public func availableCount() async throws(DatabaseError) -> Int {
        do {
            let rows = try await client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM token_pool WHERE \(PairCondition.available)"), logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        } catch {
            throw DatabaseError(operation: "count available pairs", underlying: error)
        }
    }

    /// Assignments per `bucket` over the `window` up to `end` (default: now), oldest first, with
    /// empty buckets as zeros. One range scan of `token_assignment_assigned_at_idx`, grouped in
    /// the database, so its cost follows the window, not the table.
    public func history(window: Duration, bucket: Duration, end: Date = Date()) async throws(DatabaseError) -> ConsumptionHistory {
        let bucketSeconds = max(1, Int(bucket.components.seconds))
        let bucketCount = max(1, Int(window.components.seconds) / bucketSeconds)
        // Buckets are aligned to the epoch, so the same instant always falls in the same bucket.
        let endEpoch = Int(end.timeIntervalSince1970)
        let lastStart = endEpoch - endEpoch % bucketSeconds
        let firstStart = lastStart - (bucketCount - 1) * bucketSeconds
        do {
            let rows = try await client.query(
                """
                SELECT floor(extract(epoch FROM assigned_at) / \(bucketSeconds))::BIGINT, count(*)
                FROM token_assignment
                WHERE assigned_at >= to_timestamp(\(firstStart)) AND assigned_at < to_timestamp(\(lastStart + bucketSeconds))
                GROUP BY 1
                """,
                logger: logger
            )
            var counts = [Int](repeating: 0, count: bucketCount)
            for try await (bucketNumber, count) in rows.decode((Int64, Int).self) {
                let index = Int(bucketNumber) - firstStart / bucketSeconds
                if counts.indices.contains(index) { counts[index] += count }
            }
            return ConsumptionHistory(bucket: .seconds(bucketSeconds), start: Date(timeIntervalSince1970: TimeInterval(firstStart)), counts: counts)
        } catch {
            throw DatabaseError(operation: "read the consumption history", underlying: error)
        }
    }
}

struct PoolStatisticsMissing: Error {}
