import Synchronization

/// Runs `work`, giving up after `limit`: a database that went away is an error within
/// `limit`, not a hang.
///
/// `work` runs in a task of its own that is cancelled at the limit but not waited for. A task
/// group would wait for it, and PostgresNIO does not always answer cancellation: a query on a
/// connection whose server was stopped, or a wait for a connection while the pool reconnects,
/// can outlive the cancel by minutes. That is what kept a refill (and card-app's requests and
/// shutdown) waiting forever when PostgreSQL stopped mid-run; the fault suite found it.
public func withTimeout<Result: Sendable>(
    _ limit: Duration,
    _ work: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = TimeoutRace<Result>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            race.start(continuation)
            race.add(
                Task {
                    do {
                        race.finish(.success(try await work()))
                    } catch {
                        race.finish(.failure(error))
                    }
                }
            )
            race.add(
                Task {
                    try? await Task.sleep(for: limit)
                    race.finish(.failure(DatabaseTimeout(limit: limit)))
                }
            )
        }
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// The first of the work, the timer and the caller's cancellation to finish decides the answer;
/// the others are cancelled and left to end on their own.
private final class TimeoutRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var outcome: Swift.Result<Value, any Error>?
        var tasks: [Task<Void, Never>] = []
    }

    private let state = Mutex(State())

    func start(_ continuation: CheckedContinuation<Value, any Error>) {
        // Cancellation may have come first: then the answer is already known.
        let early = state.withLock { state -> Swift.Result<Value, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func add(_ task: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            if state.outcome != nil { return true }
            state.tasks.append(task)
            return false
        }
        if finished { task.cancel() }
    }

    func finish(_ outcome: Swift.Result<Value, any Error>) {
        let (continuation, tasks) = state.withLock { state -> (CheckedContinuation<Value, any Error>?, [Task<Void, Never>]) in
            guard state.outcome == nil else { return (nil, []) }
            state.outcome = outcome
            defer { state.continuation = nil; state.tasks = [] }
            return (state.continuation, state.tasks)
        }
        for task in tasks { task.cancel() }
        continuation?.resume(with: outcome)
    }
}

/// The database did not answer in time.
public struct DatabaseTimeout: Error, Sendable, CustomStringConvertible {
    public let limit: Duration
    public var description: String {
        "no answer within \(limit.components.seconds) s (is the database running and reachable?)"
    }
}
