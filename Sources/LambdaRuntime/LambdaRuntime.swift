import AsyncHTTPClient
public import Logging
import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// The Lambda custom-runtime loop on the Runtime API: fetch an event, hand it to the handler,
/// post its response or its error, repeat.
///
/// Beyond the bare loop: a failed invocation is reported and the loop goes on; a 500 from the
/// Runtime API (or no answer) ends the process promptly; 400/403/413 are logged with what they
/// mean; SIGTERM lets the invocation in flight finish, then returns.
public enum LambdaRuntime {
    public typealias Handler = @Sendable (LambdaInvocation, LambdaContext) async -> LambdaOutcome

    /// Serves events until SIGTERM (returns) or a fatal Runtime API error (throws).
    ///
    /// `stopAfterInvocation` is asked after each answer; true returns, so that the caller can
    /// rebuild what the handler uses (a database pool with a rotated password) and serve again.
    public static func run(
        endpoint: String,
        logger: Logger,
        stopAfterInvocation: @escaping @Sendable () -> Bool = { false },
        handler: @escaping Handler
    ) async throws {
        // The process-wide client needs no shutdown, so no path out of the loop can leak it.
        let client = RuntimeAPIClient(endpoint: endpoint, http: .shared)
        let state = LoopState()
        try await withThrowingTaskGroup(of: Finished.self) { group in
            group.addTask {
                try await serve(client: client, logger: logger, state: state, stopAfterInvocation: stopAfterInvocation, handler: handler)
                return .loop
            }
            group.addTask {
                for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                    logger.notice("shutting down", metadata: ["signal": "\(signal)"])
                    break
                }
                return state.requestStop() ? .signalWhileIdle : .signalWhileBusy
            }
            while let finished = try await group.next() {
                switch finished {
                case .loop, .signalWhileIdle:
                    // Idle: cancelling ends the wait on `next` at once.
                    group.cancelAll()
                    return
                case .signalWhileBusy:
                    // The loop stops by itself once the invocation in flight has answered.
                    continue
                }
            }
        }
    }

    /// Tells Lambda that start-up failed (the invocation then fails with this error); the caller exits non-zero.
    public static func reportInitError(endpoint: String, _ report: LambdaErrorReport, logger: Logger) async {
        do {
            try await RuntimeAPIClient(endpoint: endpoint, http: .shared).reportInitError(report)
        } catch {
            logger.error("could not report the init error", metadata: ["error": "\(error)"])
        }
    }

    private static func serve(
        client: RuntimeAPIClient, logger: Logger, state: LoopState, stopAfterInvocation: () -> Bool, handler: Handler
    ) async throws {
        while !state.stopRequested && !stopAfterInvocation() {
            let invocation: LambdaInvocation
            do {
                invocation = try await client.next()
            } catch {
                if Task.isCancelled { return }
                logger.critical("the Runtime API failed; exiting", metadata: ["error": "\(error)"])
                throw error
            }
            state.beginInvocation()
            defer { state.endInvocation() }
            var invocationLogger = logger
            invocationLogger[metadataKey: "requestId"] = "\(invocation.requestId)"
            if let traceId = invocation.traceId {
                setenv("_X_AMZN_TRACE_ID", traceId, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            let context = LambdaContext(
                requestId: invocation.requestId, deadline: invocation.deadline,
                invokedFunctionArn: invocation.invokedFunctionArn, traceId: invocation.traceId, logger: invocationLogger
            )
            let outcome = await handler(invocation, context)
            do {
                switch outcome {
                case .response(let body):
                    if body.count > RuntimeAPIClient.maxResponseBytes {
                        invocationLogger.error("the response is larger than Lambda's 6 MB limit; reporting an error instead")
                        try await client.reportError(
                            requestId: invocation.requestId,
                            LambdaErrorReport(errorType: "Runtime.ResponseTooLarge", errorMessage: "the response was \(body.count) bytes")
                        )
                    } else {
                        try await client.respond(requestId: invocation.requestId, body: body)
                    }
                case .failure(let report):
                    invocationLogger.error("invocation failed", metadata: ["errorType": "\(report.errorType)", "error": "\(report.errorMessage)"])
                    try await client.reportError(requestId: invocation.requestId, report)
                }
            } catch {
                if error.isFatal {
                    invocationLogger.critical("the Runtime API failed; exiting", metadata: ["error": "\(error)"])
                    throw error
                }
                // 400/403/413: this invocation's answer was refused; the next event may be fine.
                invocationLogger.error("the Runtime API refused the answer", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Whether an invocation is in flight, and whether a stop was asked for.
private final class LoopState: Sendable {
    private struct State {
        var busy = false
        var stop = false
    }

    private let state = Mutex(State())

    var stopRequested: Bool { state.withLock { $0.stop } }

    func beginInvocation() { state.withLock { $0.busy = true } }
    func endInvocation() { state.withLock { $0.busy = false } }

    /// Records the stop; returns true when the loop is idle and can be cancelled at once.
    func requestStop() -> Bool {
        state.withLock { state in
            state.stop = true
            return !state.busy
        }
    }
}

private enum Finished: Sendable {
    case loop
    case signalWhileIdle
    case signalWhileBusy
}
