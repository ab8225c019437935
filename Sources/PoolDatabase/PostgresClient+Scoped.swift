public import Logging
public import PostgresNIO

extension PostgresClient {
    /// Runs `body` with a client whose connection pool is running, and stops the pool afterwards.
    ///
    /// A `PostgresClient` does nothing until its `run()` is running; this keeps that detail
    /// (and the task that runs it) out of every caller.
    public static func withClient<Result: Sendable>(
        _ configuration: DatabaseConfiguration,
        logger: Logger,
        _ body: (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: try configuration.makeClientConfiguration(), backgroundLogger: logger)
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                signal.finish()
                await client.run()
            }
            // Queries made before run() starts work, but PostgresNIO warns about each of them.
            for await _ in started {}
            await Task.yield()
            defer { group.cancelAll() }
            return try await body(client)
        }
    }
}
