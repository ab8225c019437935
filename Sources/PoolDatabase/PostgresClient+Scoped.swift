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

/// Runs `work` again when it fails with a serialization failure (40001), a deadlock (40P01)
/// or, when `retryConnectionErrors` is set because `work` is idempotent, a broken connection.
///
/// The whole unit of work is retried, never a statement inside a transaction. Attempts are
/// bounded and spaced with jittered backoff, so a storm of conflicts does not become a livelock;
/// ten attempts ride out the conflicts of dozens of concurrent reservers under serializable isolation.
/// Each attempt may take `attemptTimeout`; a timeout is not retried, because the pool spent
/// that time trying to connect already.
public func withDatabaseRetry<Result: Sendable>(
    operation: String,
    maxAttempts: Int = 10,
    retryConnectionErrors: Bool = false,
    attemptTimeout: Duration = .seconds(10),
    logger: Logger,
    _ work: @escaping @Sendable () async throws -> Result
) async throws(DatabaseError) -> Result {
    var attempt = 1
    while true {
        do {
            return try await withTimeout(attemptTimeout, work)
        } catch {
            let failure = error as? DatabaseError ?? DatabaseError(operation: operation, underlying: error)
            let retryable = failure.isSerializationFailure || (retryConnectionErrors && failure.isTransient)
            guard retryable, attempt < maxAttempts, !Task.isCancelled else { throw failure }
            logger.debug("retrying database work", metadata: ["db.operation": "\(operation)", "db.attempt": "\(attempt)", "error": "\(failure)"])
            let ceiling = min(1_000, 10 << attempt)
            try? await Task.sleep(for: .milliseconds(Int.random(in: 1...ceiling)))
            attempt += 1
        }
    }
}
