public import Logging

/// One event from the Runtime API, with what its headers say about it.
public struct LambdaInvocation: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`: on every log line and in the response path.
    public var requestId: String
    /// `Lambda-Runtime-Deadline-Ms` as a point on this process's clock: Lambda stops the process then.
    public var deadline: ContinuousClock.Instant
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionArn: String?
    /// `Lambda-Runtime-Trace-Id`, also exported as `_X_AMZN_TRACE_ID` for the invocation.
    public var traceId: String?
    /// The event, as sent.
    public var event: [UInt8]

    public init(
        requestId: String, deadline: ContinuousClock.Instant, invokedFunctionArn: String? = nil, traceId: String? = nil, event: [UInt8]
    ) {
        self.requestId = requestId
        self.deadline = deadline
        self.invokedFunctionArn = invokedFunctionArn
        self.traceId = traceId
        self.event = event
    }
}

/// What a handler gets besides the event.
public struct LambdaContext: Sendable {
    public var requestId: String
    public var deadline: ContinuousClock.Instant
    public var invokedFunctionArn: String?
    public var traceId: String?
    /// Carries the request id in its metadata, so every line of the invocation can be found.
    public var logger: Logger
}

/// How a handler ended an invocation.
public enum LambdaOutcome: Sendable {
    /// Sent to `…/response`.
    case response([UInt8])
    /// Sent to `…/error`: Lambda counts the invocation as failed (and retries asynchronous ones).
    case failure(LambdaErrorReport)
}

/// The JSON error document of the Runtime API: `{"errorMessage", "errorType", "stackTrace"}`.
public struct LambdaErrorReport: Sendable, Codable, Equatable {
    public var errorMessage: String
    public var errorType: String
    /// Swift errors carry no stack, so this lists the chain of errors, outermost first.
    public var stackTrace: [String]

    public init(errorType: String, errorMessage: String, stackTrace: [String] = []) {
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.stackTrace = stackTrace
    }

    public init(_ error: any Error, errorType: String? = nil) {
        var chain: [String] = []
        var current: (any Error)? = error
        while let error = current, chain.count < 8 {
            chain.append("\(type(of: error)): \(error)")
            current = Mirror(reflecting: error).children.first { $0.label == "underlying" }?.value as? any Error
        }
        self.init(errorType: errorType ?? String(describing: type(of: error)), errorMessage: "\(error)", stackTrace: chain)
    }
}
