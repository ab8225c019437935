public import PostgresNIO

/// A login role of one test's own, with every right on the test's schema and that schema as its
/// search path: for a test that must connect as somebody else, to count its own statements or to
/// rotate its password without disturbing other tests. Roles belong to the whole cluster, so a
/// test drops its role however it ends.
public struct TestLoginRole: Sendable {
    public let role: String
    public let schema: String

    /// Creates `<prefix>_<random>` with `password`, on the schema `database` works in.
    public static func create(prefix: String, password: String, on database: PostgresClient) async throws -> TestLoginRole {
        let role = prefix + "_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var schema: String?
        for try await name in try await database.query("SELECT current_schema()").decode(String.self) { schema = name }
        guard let schema else { throw TestLoginRoleError(description: "the test database has no current schema") }
        try await run([
            "CREATE ROLE \(role) LOGIN PASSWORD '\(password)'",
            "GRANT ALL ON SCHEMA \(schema) TO \(role)",
            "GRANT ALL ON ALL TABLES IN SCHEMA \(schema) TO \(role)",
            "ALTER ROLE \(role) SET search_path = \(schema)",
        ], on: database)
        return TestLoginRole(role: role, schema: schema)
    }

    /// Ends the role's sessions, takes its rights back and drops it.
    public func drop(on database: PostgresClient) async throws {
        do {
            try await Self.run([
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role)'",
                "REVOKE ALL ON ALL TABLES IN SCHEMA \(schema) FROM \(role)",
                "REVOKE ALL ON SCHEMA \(schema) FROM \(role)",
                "DROP ROLE \(role)",
            ], on: database)
        } catch {
            throw TestLoginRoleError(description: "could not drop the test role \(role): \(String(reflecting: error))")
        }
    }

    /// Role statements, in order: names built here from a random suffix, never from input.
    private static func run(_ statements: [String], on database: PostgresClient) async throws {
        for statement in statements {
            try await database.query(PostgresQuery(unsafeSQL: statement))
        }
    }
}

public struct TestLoginRoleError: Error, CustomStringConvertible {
    public let description: String
}
