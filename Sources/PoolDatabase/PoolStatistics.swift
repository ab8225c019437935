#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The pool's level and how fast it drains; shared by `tome-prefetch status` and the card app.
/// A plain value: `PoolStatisticsReader` reads it from the database.
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
    /// Cards in the last 5 minutes, hour and 24 hours whose pair came straight from TOME because the pool was empty.
    public var fallbacksLastFiveMinutes: Int
    public var fallbacksLastHour: Int
    public var fallbacksLastDay: Int

    public init(
        available: Int, expired: Int, oldestFetchedAt: Date?, assignedLastHour: Int, assignedLastDay: Int,
        fallbacksLastFiveMinutes: Int, fallbacksLastHour: Int, fallbacksLastDay: Int
    ) {
        self.available = available
        self.expired = expired
        self.oldestFetchedAt = oldestFetchedAt
        self.assignedLastHour = assignedLastHour
        self.assignedLastDay = assignedLastDay
        self.fallbacksLastFiveMinutes = fallbacksLastFiveMinutes
        self.fallbacksLastHour = fallbacksLastHour
        self.fallbacksLastDay = fallbacksLastDay
    }

    /// At the last hour's pace, how long the available pairs last; nil when nothing was assigned.
    public var hoursUntilEmpty: Double? {
        guard assignedLastHour > 0 else { return nil }
        return Double(available) / Double(assignedLastHour)
    }
}

/// Card demand over time: assignments (from the pool and straight from TOME alike, since a card
/// that fell back is demand the pool missed) counted per fixed bucket, oldest first. A plain value
/// for whatever sizes the pool; `PoolStatisticsReader.history` reads it.
public struct ConsumptionHistory: Sendable, Equatable {
    /// The length of every bucket.
    public var bucket: Duration
    /// The start of the first bucket.
    public var start: Date
    /// Assignments per bucket, one entry for every bucket from `start` on, zeros included.
    public var counts: [Int]

    public init(bucket: Duration, start: Date, counts: [Int]) {
        self.bucket = bucket
        self.start = start
        self.counts = counts
    }

    /// All assignments in the history.
    public var total: Int { counts.reduce(0, +) }
}
