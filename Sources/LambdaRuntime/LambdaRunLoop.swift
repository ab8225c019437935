public import Logging
public import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The Lambda custom-runtime loop: fetch an event, hand it to the handler, post its response or
/// its error, repeat.
///
/// Beyond the bare loop: a failed invocation is reported and the loop goes on; a fatal Runtime
/// API error (a 500, or no answer) ends the loop with a throw, as Lambda expects the runtime to
/// exit; a refused answer (400/403/413) is logged with what it means. On graceful shutdown an
/// invocation in flight finishes and answers before `run()` returns; a wait for the next event
/// ends at once.
public struct LambdaRunLoop<Client: LambdaRuntimeClient, Handler: LambdaHandler>: Service {
    let client: Client
    let handler: Handler
    let logger: Logger

    public init(client: Client, handler: Handler, logger: Logger) {
        self.client = client
        self.handler = handler
        self.logger = logger
    }

    /// Serves events until graceful shutdown or cancellation (returns) or a fatal Runtime API
    /// error (throws).
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            let invocation: LambdaInvocation
            do {
                // Only the wait for an event is cancelled by a shutdown; the handler runs outside
                // it, so that an invocation in flight still answers.
                invocation = try await cancelWhenGracefulShutdown { [client] in try await client.next() }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.critical("the Runtime API failed; exiting", metadata: ["error": "\(error)"])
                throw error
            }
            try await serve(invocation)
        }
        logger.notice("shutting down")
    }

    /// One invocation: the handler's outcome posted under its request id, with the trace id exported.
    private func serve(_ invocation: LambdaInvocation) async throws(RuntimeAPIError) {
        var logger = logger
        logger[metadataKey: "requestId"] = "\(invocation.requestId)"
        if let traceId = invocation.traceId {
            setenv("_X_AMZN_TRACE_ID", traceId, 1)
        } else {
            unsetenv("_X_AMZN_TRACE_ID")
        }
        let context = LambdaContext(
            requestId: invocation.requestId, deadline: invocation.deadline,
            invokedFunctionArn: invocation.invokedFunctionArn, traceId: invocation.traceId, logger: logger
        )
        let outcome = await handler.handle(invocation, context: context)
        do {
            try await post(outcome, requestId: invocation.requestId, logger: logger)
        } catch where error.isFatal {
            logger.critical("the Runtime API failed; exiting", metadata: ["error": "\(error)"])
            throw error
        } catch {
            // 400/403/413: this invocation's answer was refused; the next event may be fine.
            logger.error("the Runtime API refused the answer", metadata: ["error": "\(error)"])
        }
    }

    private func post(_ outcome: LambdaOutcome, requestId: String, logger: Logger) async throws(RuntimeAPIError) {
        switch outcome {
        case .response(let body) where body.count > RuntimeAPIClient.maxResponseBytes:
            // Lambda would answer 413 and the caller would see no reason; an error report names it.
            logger.error("the response is larger than Lambda's 6 MB limit; reporting an error instead")
            let report = LambdaErrorReport(errorType: "Runtime.ResponseTooLarge", errorMessage: "the response was \(body.count) bytes")
            try await client.reportError(requestId: requestId, report)
        case .response(let body):
            try await client.respond(requestId: requestId, body: body)
        case .failure(let report):
            logger.error("invocation failed", metadata: ["errorType": "\(report.errorType)", "error": "\(report.errorMessage)"])
            try await client.reportError(requestId: requestId, report)
        }
    }
}
