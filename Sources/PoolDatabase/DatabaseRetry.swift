public import Logging
import PostgresNIO
public import Resilience
import _ConnectionPoolModule

extension RetryPolicy {
    /// Database transactions: ten attempts, 20 ms doubling to at most 1 s, full jitter. Ten ride
    /// out the conflicts of dozens of concurrent reservers under serializable isolation.
    public static let database = RetryPolicy(maxAttempts: 10, baseDelay: .milliseconds(20), maxDelay: .seconds(1))
}

// The retry wrappers, and which to use:
// - `withDatabaseWork`: work that only talks to the database (a read, a statement, a transaction
//   of statements). Whatever fails is a `DatabaseError` naming the operation. Pass
//   `retryConnectionErrors: true` when running the work twice does no harm: a read, or a
//   statement written to be idempotent (the refill's).
// - `withDatabaseRetry`: a transaction that also calls something else (a card's TOME fallback);
//   that call's errors pass through as themselves, and only database failures are retried.
// A store may wrap `withDatabaseWork` with its logger and its rule for connection errors
// (`RefillStore.retrying`, `CardStore.read`), and nothing more.

/// Runs `work` again when it fails with a serialization failure (40001), a deadlock (40P01)
/// or, when `retryConnectionErrors` is set because `work` is idempotent, a broken connection.
///
/// The whole unit of work is retried, never a statement inside a transaction. Attempts are
/// bounded and spaced as `policy` says, so a storm of conflicts does not become a livelock.
/// Each attempt may take `attemptTimeout`; a timeout is not retried, because the pool spent
/// that time trying to connect already.
///
/// Only database failures become a `DatabaseError`; anything else `work` throws (a TOME failure
/// during a fallback, a caller's own error) passes through unchanged, and is not retried.
public func withDatabaseRetry<Result: Sendable>(
    operation: String,
    policy: RetryPolicy = .database,
    retryConnectionErrors: Bool = false,
    attemptTimeout: Duration = .seconds(10),
    logger: Logger,
    _ work: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    var attempt = 1
    var generator = SystemRandomNumberGenerator()
    while true {
        do {
            return try await withTimeout(attemptTimeout, work)
        } catch {
            guard let failure = DatabaseError(from: error, operation: operation) else { throw DatabaseError.unwrapped(error) }
            let retryable = failure.isSerializationFailure || (retryConnectionErrors && failure.isTransient)
            guard retryable, !Task.isCancelled, let delay = policy.delay(after: attempt, retryAfter: nil, using: &generator) else {
                throw failure
            }
            logger.debug("retrying database work", metadata: ["db.operation": "\(operation)", "db.attempt": "\(attempt)", "error": "\(failure)"])
            try? await Task.sleep(for: delay)
            attempt += 1
        }
    }
}

/// `withDatabaseRetry` for work that only talks to the database: whatever it throws, a row that
/// does not decode included, is a `DatabaseError` that names `operation`.
public func withDatabaseWork<Result: Sendable>(
    operation: String,
    retryConnectionErrors: Bool = false,
    logger: Logger,
    _ work: @escaping @Sendable () async throws -> Result
) async throws(DatabaseError) -> Result {
    do {
        return try await withDatabaseRetry(operation: operation, retryConnectionErrors: retryConnectionErrors, logger: logger, work)
    } catch let error as DatabaseError {
        throw error
    } catch {
        throw DatabaseError(operation: operation, underlying: error)
    }
}

extension DatabaseError {
    /// The database failure in `error`, or nil when it is something else (a TOME failure inside
    /// a transaction, say), which the caller should see as itself.
    init?(from error: any Error, operation: String) {
        switch error {
        case let error as DatabaseError:
            self = error
        case let transaction as PostgresTransactionError:
            // The work inside the transaction failed: its error decides; BEGIN or COMMIT failing is the database.
            if let cause = transaction.closureError {
                self.init(from: cause, operation: operation)
            } else {
                self.init(operation: operation, underlying: transaction)
            }
        case is PSQLError, is DatabaseTimeout, is PostgresDecodingError, is ConnectionPoolError:
            self.init(operation: operation, underlying: error)
        default:
            return nil
        }
    }

    /// What a caller should see for a failure that is not the database's: the work's own error,
    /// not the transaction wrapper around it.
    static func unwrapped(_ error: any Error) -> any Error {
        if let transaction = error as? PostgresTransactionError, let cause = transaction.closureError {
            return unwrapped(cause)
        }
        return error
    }
}
