import TestSupport
import Logging
import PoolDatabase
import PostgresNIO
import TOMEClient
import TOMESimulator
import TokenPool

/// A pool library on a schema of its own, with the simulator over HTTP behind its fallback.
struct PoolHarness: Sendable {
    let pool: PoolReserver
    let database: PostgresClient
    let dual: DualNamespaceClient
    let simulator: RunningSimulator

    /// Mints `count` pairs in TOME and puts them in the pool, as a refill would.
    func fill(_ count: Int) async throws {
        let pairs = try await dual.mintPairs(count: count, requestId: "fill-\(UInt32.random(in: 0...UInt32.max))")
        let ns1 = pairs.map(\.ns1Token)
        let ns2 = pairs.map(\.ns2Token)
        try await database.query(
            """
            INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no)
            SELECT a, b, 'test-run', 0 FROM UNNEST(\(ns1)::TEXT[], \(ns2)::TEXT[]) AS p (a, b)
            """
        )
    }

    func count(_ sql: String) async throws -> Int {
        for try await count in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return count }
        return 0
    }

    func string(_ sql: String) async throws -> String {
        for try await value in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { return value }
        throw NoRow(sql: sql)
    }

    /// Reserves one pair for `cardId` in a transaction of its own. Twice the production attempts:
    /// 32 serializable reservers on a two-core machine that runs every other suite at the same
    /// time once exhausted ten (1 in about 15 full runs); what is under test is that no pair is
    /// shared, not how long contention lasts.
    func reserve(cardId: String) async throws -> Reservation {
        let pool = pool
        var policy = RetryPolicy.database
        policy.maxAttempts = 20
        return try await withDatabaseRetry(operation: "reserve", policy: policy, logger: TestDatabase.quietLogger) {
            try await database.withTransaction(logger: TestDatabase.quietLogger) { connection in
                try await pool.reserve(cardId: cardId, on: connection)
            }
        }
    }
}

func withPool<Result: Sendable>(
    isolation: TestDatabase.Isolation = .readCommitted,
    logger: Logger = TestDatabase.quietLogger,
    _ body: @Sendable (PoolHarness) async throws -> Result
) async throws -> Result {
    try await TestDatabase.withIsolatedSchema(isolation: isolation, maxConnections: 40) { _, database in
        try await SimulatedTOME.withRunning { running in
            try await HTTPTOMEClient.withClient(configuration: .init(baseURL: running.url)) { tome in
                let dual = DualNamespaceClient(tome: tome)
                let pool = PoolReserver(database: database, dual: dual, logger: logger)
                return try await body(PoolHarness(pool: pool, database: database, dual: dual, simulator: running))
            }
        }
    }
}

struct NoRow: Error, CustomStringConvertible {
    let sql: String
    var description: String { "no row for: \(sql)" }
}
