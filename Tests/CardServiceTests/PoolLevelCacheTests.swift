@testable import CardService
import PostgresNIO
import Testing
import TestSupport

/// `/metrics` reads the pool's level at most once per interval, however often it is scraped.
@Suite("Pool level for /metrics")
struct PoolLevelCacheTests {
    @Test func scrapesWithinTheIntervalReuseTheLastCountAndALaterOneCountsAgain() async throws {
        try await TestDatabase.withIsolatedSchema { _, database in
            let cache = PoolLevelCache(database: database, refreshInterval: .seconds(15), logger: TestDatabase.quietLogger)
            let start = ContinuousClock.now
            #expect(await cache.available(now: start) == 0)
            try await database.query(
                "INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no) SELECT 'a' || g, 'b' || g, 'r', 0 FROM generate_series(1, 7) AS g"
            )
            // Within 15 s: the cached value, no count.
            #expect(await cache.available(now: start + .seconds(14)) == 0)
            // After it: counted again.
            #expect(await cache.available(now: start + .seconds(15)) == 7)
        }
    }
}
