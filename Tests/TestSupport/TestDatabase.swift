public import Logging
public import PoolDatabase
public import PostgresNIO

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL for tests: every test gets a schema of its own, so tests run in any
/// order and in parallel. Settings come from `DATABASE_URL`, which `scripts/test` exports;
/// the cluster's port and folder are set in one place (`scripts/lib/cluster.sh`), so there is no
/// default here that could point at another cluster.
public enum TestDatabase {
    /// The transaction isolation a test runs under: CockroachDB's default is serializable,
    /// so the database tests run under both, and the retry paths run for real.
    public enum Isolation: String, CaseIterable, Sendable, CustomStringConvertible {
        case readCommitted = "read committed"
        case serializable

        public var description: String { rawValue }
    }

    /// The database all test schemas live in.
    public static func baseConfiguration() throws -> DatabaseConfiguration {
        guard let url = getenv("DATABASE_URL").map({ String(cString: $0) }), !url.isEmpty else {
            throw DatabaseNotConfigured()
        }
        var configuration = try DatabaseConfiguration(url: url)
        configuration.connectTimeout = .seconds(3)
        return configuration
    }

    public static let quietLogger = Logger(label: "test.database", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates a fresh schema with `schema.sql` applied, runs `body` with a configuration and a
    /// running client confined to it, then drops it. Fails loudly when PostgreSQL is unreachable.
    public static func withIsolatedSchema<Result: Sendable>(
        isolation: Isolation = .readCommitted,
        maxConnections: Int = 20,
        _ body: (DatabaseConfiguration, PostgresClient) async throws -> Result
    ) async throws -> Result {
        let base = try baseConfiguration()
        let schema = "test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try await admin(base) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: quietLogger)
        }
        var configuration = base
        configuration.maxConnections = maxConnections
        configuration.startupParameters = [("search_path", schema), ("default_transaction_isolation", isolation.rawValue)]
        do {
            let result = try await PostgresClient.withClient(configuration, logger: quietLogger) { client in
                try await Schema.migrate(client, logger: quietLogger)
                return try await body(configuration, client)
            }
            try? await dropSchema(schema, base: base)
            return result
        } catch {
            try? await dropSchema(schema, base: base)
            throw error
        }
    }

    private static func dropSchema(_ schema: String, base: DatabaseConfiguration) async throws {
        try await admin(base) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: quietLogger)
        }
    }

    /// Runs one statement on the base database, turning "cannot connect" into a message that says what to do.
    private static func admin(_ base: DatabaseConfiguration, _ work: @escaping @Sendable (PostgresClient) async throws -> Void) async throws {
        try await PostgresClient.withClient(base, logger: quietLogger) { client in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await work(client)
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(15))
                    return false
                }
                do {
                    let finished = try await group.next() ?? false
                    group.cancelAll()
                    if !finished { throw DatabaseUnavailable(configuration: base, reason: "no answer within 15 s") }
                } catch let error as DatabaseUnavailable {
                    throw error
                } catch {
                    group.cancelAll()
                    throw DatabaseUnavailable(configuration: base, reason: "\(DatabaseError(operation: "prepare a test schema", underlying: error))")
                }
            }
        }
    }
}

/// `DATABASE_URL` is not set: the test fails and says how to set it.
public struct DatabaseNotConfigured: Error, CustomStringConvertible {
    public var description: String {
        "DATABASE_URL is not set. Run `scripts/test`, which starts PostgreSQL, or "
            + "`eval \"$(scripts/postgres start)\"; export DATABASE_URL=$TEST_DATABASE_URL` before `swift test`."
    }
}

/// PostgreSQL is needed and cannot be reached: the test fails and says how to start it.
public struct DatabaseUnavailable: Error, CustomStringConvertible {
    let configuration: DatabaseConfiguration
    let reason: String

    public var description: String {
        "PostgreSQL is not reachable at \(configuration) (\(reason)). Run `scripts/test`, which starts one, "
            + "or `eval \"$(scripts/postgres start)\"` to start it and export DATABASE_URL."
    }
}
