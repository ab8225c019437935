@testable import CardService
import PoolDatabase
import PostgresNIO
import Testing
import TestSupport

/// `/metrics` counts the pool in the database at most once per interval, however often it is scraped.
@Suite("Pool level for /metrics")
struct PoolLevelForMetricsTests {
    @Test func scrapesWithinTheIntervalReuseTheLastCountAndALaterOneCountsAgain() async throws {
        try await TestDatabase.withIsolatedSchema { _, database in
            let level = RecentValue<Int>(maxAge: .seconds(15))
            let reader = PoolStatisticsReader(client: database, logger: TestDatabase.quietLogger)
            let start = ContinuousClock.now
            #expect(await level.value(now: start, read: reader.availableForMetrics) == 0)
            try await database.query(
                "INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no) SELECT 'a' || g, 'b' || g, 'r', 0 FROM generate_series(1, 7) AS g"
            )
            // Within 15 s: the cached value, no count.
            #expect(await level.value(now: start + .seconds(14), read: reader.availableForMetrics) == 0)
            // After it: counted again.
            #expect(await level.value(now: start + .seconds(15), read: reader.availableForMetrics) == 7)
        }
    }
}
