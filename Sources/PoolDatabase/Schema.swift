public import Logging
public import PostgresNIO

/// The pool's tables, and applying them.
public enum Schema {
    /// The newest schema version this program knows.
    public static let version = 4

    /// The statements of `schema.sql`: each ends with a semicolon at the end of a line.
    public static var statements: [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: " \t")
            if trimmed.hasPrefix("--") || (trimmed.isEmpty && current.isEmpty) { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        return statements
    }

    /// Applies `schema.sql`; safe to run again. Returns the schema version now in the database.
    @discardableResult
    public static func migrate(_ client: PostgresClient, logger: Logger) async throws(DatabaseError) -> Int {
        for statement in statements {
            do {
                try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            } catch {
                throw DatabaseError(operation: "apply schema.sql", underlying: error)
            }
        }
        return try await currentVersion(client, logger: logger) ?? 0
    }

    /// The highest applied version, or nil when the schema was never applied.
    public static func currentVersion(_ client: PostgresClient, logger: Logger) async throws(DatabaseError) -> Int? {
        do {
            // Bounded, so a stopped database is a prompt error rather than a wait on the pool.
            return try await withTimeout(.seconds(10)) {
                let rows = try await client.query("SELECT max(version) FROM schema_version", logger: logger)
                for try await version in rows.decode(Int?.self) { return version }
                return nil
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return nil
        } catch {
            throw DatabaseError(operation: "read the schema version", underlying: error)
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var text = self
        while let first = text.first, set.contains(first) { text = text.dropFirst() }
        while let last = text.last, set.contains(last) { text = text.dropLast() }
        return text
    }
}
