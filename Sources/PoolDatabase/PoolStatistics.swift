public import Logging
public import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The pool's level and how fast it drains; shared by `tome-prefetch status` and the card app.
public struct PoolStatistics: Sendable, Equatable, Codable {
    /// Pairs that can be handed out now (not expired).
    public var available: Int
    /// Pairs past their expiry, waiting to be cleaned up; never handed out.
    public var expired: Int
    /// When the oldest pair in the pool was fetched.
    public var oldestFetchedAt: Date?
    /// Pairs assigned to cards in the last hour and the last 24 hours, from the pool or from TOME.
    public var assignedLastHour: Int
    public var assignedLastDay: Int
    /// Cards in the last hour and the last 24 hours whose pair came straight from TOME because the pool was empty.
    public var fallbacksLastHour: Int
    public var fallbacksLastDay: Int

    /// At the last hour's pace, how long the available pairs last; nil when nothing was assigned.
    public var hoursUntilEmpty: Double? {
        guard assignedLastHour > 0 else { return nil }
        return Double(available) / Double(assignedLastHour)
    }

    public static func read(_ client: PostgresClient, logger: Logger) async throws(DatabaseError) -> PoolStatistics {
        do {
            let rows = try await client.query(
                """
                SELECT
                    (SELECT count(*) FROM token_pool WHERE expires_at IS NULL OR expires_at > now()),
                    (SELECT count(*) FROM token_pool WHERE expires_at <= now()),
                    (SELECT min(fetched_at) FROM token_pool),
                    (SELECT count(*) FROM token_assignment WHERE assigned_at > now() - INTERVAL '1 hour'),
                    (SELECT count(*) FROM token_assignment WHERE assigned_at > now() - INTERVAL '24 hours'),
                    (SELECT count(*) FROM token_assignment WHERE source = 'tome' AND assigned_at > now() - INTERVAL '1 hour'),
                    (SELECT count(*) FROM token_assignment WHERE source = 'tome' AND assigned_at > now() - INTERVAL '24 hours')
                """,
                logger: logger
            )
            for try await (available, expired, oldest, hour, day, fallbacksHour, fallbacksDay) in rows.decode((Int, Int, Date?, Int, Int, Int, Int).self) {
                return PoolStatistics(
                    available: available, expired: expired, oldestFetchedAt: oldest,
                    assignedLastHour: hour, assignedLastDay: day, fallbacksLastHour: fallbacksHour, fallbacksLastDay: fallbacksDay
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
    public static func availableCount(_ client: PostgresClient, logger: Logger) async throws(DatabaseError) -> Int {
        do {
            let rows = try await client.query(
                "SELECT count(*) FROM token_pool WHERE expires_at IS NULL OR expires_at > now()",
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        } catch {
            throw DatabaseError(operation: "count available pairs", underlying: error)
        }
    }
}

struct PoolStatisticsMissing: Error {}
