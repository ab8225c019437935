/// A failed TOME call: which namespace, which operation, what went wrong and whether a retry may help.
///
/// The description names the namespace, the operation, the HTTP status and TOME's error code,
/// and never a token, a value or a credential: it is safe to log and to put in an alert.
public struct TOMEError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; a bounded set, usable as a metric label.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: String {
            case rejected = "rejected"
            case rateLimited = "rate_limited"
            case unavailable = "unavailable"
            case timeout = "timeout"
            case transport = "transport"
            case tls = "tls"
            case invalidAnswer = "invalid_answer"
            case invalidArgument = "invalid_argument"
        }

        private let code: Code
        private init(_ code: Code) { self.code = code }

        /// TOME refused the request (400, 401, 403, 404, 409 …): retrying the same request will not help.
        public static let rejected = Kind(.rejected)
        /// 429: TOME asked us to slow down, possibly with `Retry-After`.
        public static let rateLimited = Kind(.rateLimited)
        /// 5xx: TOME failed; the request may succeed later.
        public static let unavailable = Kind(.unavailable)
        /// No answer in time (connect, read or request deadline).
        public static let timeout = Kind(.timeout)
        /// The connection failed or broke.
        public static let transport = Kind(.transport)
        /// TLS could not be established (certificates, trust): configuration, not luck.
        public static let tls = Kind(.tls)
        /// TOME answered, but the answer broke the contract (bad JSON, wrong count, duplicates …).
        public static let invalidAnswer = Kind(.invalidAnswer)
        /// The caller asked for something the contract does not allow; nothing was sent.
        public static let invalidArgument = Kind(.invalidArgument)

        public var description: String { code.rawValue }
    }

    public let kind: Kind
    /// The namespace the call was made in.
    public let namespace: String
    public let operation: TOMEOperation
    /// The HTTP status of TOME's answer, when there was one.
    public let status: Int?
    /// TOME's error code from the JSON error body (`batch_too_large`, …), when there was one.
    public let serverCode: String?
    /// Whether repeating the same call (with the same request id) may succeed.
    public let isRetryable: Bool
    /// Whether TOME refused our credentials (401) or what they allow (403): a rotated token, or
    /// one that was never right; repeating the call with the same token does not help.
    public var refusedOurCredentials: Bool { status == 401 || status == 403 }
    /// How many attempts were made before giving up.
    public internal(set) var attempts: Int
    /// The delay TOME asked for with `Retry-After`, if any.
    public let retryAfter: Duration?
    /// A short explanation that never contains a token or a value.
    public let reason: String
    /// The error underneath (a transport or decoding error), for debugging; not part of `description`.
    public let underlying: (any Error)?

    init(
        kind: Kind,
        namespace: String,
        operation: TOMEOperation,
        status: Int? = nil,
        serverCode: String? = nil,
        isRetryable: Bool,
        retryAfter: Duration? = nil,
        reason: String,
        underlying: (any Error)? = nil
    ) {
        self.kind = kind
        self.namespace = namespace
        self.operation = operation
        self.status = status
        self.serverCode = serverCode.map(Self.sanitizedCode)
        self.isRetryable = isRetryable
        self.attempts = 1
        self.retryAfter = retryAfter
        self.reason = reason
        self.underlying = underlying
    }

    public var description: String {
        var text = "TOME \(namespace) \(operation) failed (\(kind)"
        if let status { text += ", HTTP \(status)" }
        if let serverCode { text += ", code \(serverCode)" }
        text += "): \(reason)"
        if attempts > 1 { text += " after \(attempts) attempts" }
        return text
    }

    /// A bounded label for metrics: the kind, or the kind and status.
    public var metricLabel: String {
        guard let status else { return kind.description }
        return "\(kind)_\(status)"
    }

    /// TOME's error codes are echoed into logs, so only a short, plain alphabet survives.
    private static func sanitizedCode(_ code: String) -> String {
        let allowed = code.prefix(64).unicodeScalars.filter { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar == "_" || scalar == "-" || scalar == ".")
        }
        return allowed.isEmpty ? "unreadable" : String(String.UnicodeScalarView(allowed))
    }
}
