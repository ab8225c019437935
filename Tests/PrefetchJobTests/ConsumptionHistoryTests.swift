import Foundation
import PoolDatabase
import PostgresNIO
import Testing
import TestSupport

/// The consumption history that pool sizing reads: assignments of every source per fixed bucket.
@Suite("Consumption history")
struct ConsumptionHistoryTests {
    @Test func assignmentsAreCountedPerBucketWithEmptyBucketsAsZeros() async throws {
        try await TestDatabase.withIsolatedSchema { _, database in
            // 2026-11-28T10:00:00Z, and assignments 1, 1, 7 and 29 minutes before it, pool and TOME alike.
            let end = Date(timeIntervalSince1970: 1_764_324_000)
            for (index, minutesBefore, source) in [(1, 1, "pool"), (2, 1, "tome"), (3, 7, "pool"), (4, 29, "pool"), (5, 61, "pool")] {
                let at = end.addingTimeInterval(TimeInterval(-60 * minutesBefore))
                try await database.query(
                    """
                    INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, assigned_at)
                    VALUES (\("r\(index)"), \("t\(index)"), \("c\(index)"), \(source), \(at))
                    """
                )
            }
            let history = try await PoolStatisticsReader(client: database, logger: TestDatabase.quietLogger)
                .history(window: .seconds(1_800), bucket: .seconds(300), end: end)
            // Six 5-minute buckets from 09:35; the last one holds `end` itself (10:00-10:05), empty so far.
            #expect(history.counts.count == 6)
            #expect(history.start == end.addingTimeInterval(-1_500))
            #expect(history.counts == [0, 0, 0, 1, 2, 0])
            let earlier = try await PoolStatisticsReader(client: database, logger: TestDatabase.quietLogger)
                .history(window: .seconds(600), bucket: .seconds(300), end: end.addingTimeInterval(-1))
            // 09:50-09:55 holds the one 7 minutes before; 09:55-10:00 the two 1 minute before.
            #expect(earlier.counts == [1, 2])
            #expect(earlier.total == 3)
        }
    }
}
