import TestSupport
import PoolDatabase
import PostgresNIO
import Testing

@Suite("Schema")
struct SchemaTests {
    @Test(arguments: TestDatabase.Isolation.allCases)
    func applyingTheSchemaTwiceChangesNothing(isolation: TestDatabase.Isolation) async throws {
        try await TestDatabase.withIsolatedSchema(isolation: isolation) { _, client in
            let before = try await tableShapes(client)
            #expect(try await Schema.migrate(client, logger: TestDatabase.quietLogger) == Schema.version)
            #expect(try await tableShapes(client) == before)
            #expect(before.contains("token_pool.ns1_token"))
            for table in ["token_pool", "token_assignment", "refill_run", "refill_batch", "refill_lease", "card"] {
                #expect(before.contains { $0.hasPrefix(table + ".") }, "\(table) is missing")
            }
        }
    }

    private func tableShapes(_ client: PostgresClient) async throws -> [String] {
        var shapes: [String] = []
        let rows = try await client.query(
            """
            SELECT table_name || '.' || column_name FROM information_schema.columns
            WHERE table_schema = current_schema() ORDER BY 1
            """
        )
        for try await shape in rows.decode(String.self) { shapes.append(shape) }
        let indexes = try await client.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1")
        for try await index in indexes.decode(String.self) { shapes.append("index " + index) }
        return shapes
    }
}
