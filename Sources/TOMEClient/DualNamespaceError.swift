/// A failed dual-namespace operation: which namespace failed, in which step, and why.
///
/// Like `TOMEError`, its description never contains a token or a value.
public struct DualNamespaceError: Error, Sendable, CustomStringConvertible {
    /// The steps of the dual-namespace operations, each in one namespace.
    public struct Step: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        /// The TOME operation this step calls.
        public let operation: TOMEOperation
        private init(_ name: String, _ operation: TOMEOperation) {
            self.name = name
            self.operation = operation
        }

        /// NS1 `tokens:issue`: fresh NS1 tokens for new pairs.
        public static let issueNS1 = Step("issue NS1 tokens", .issue)
        /// NS1 `tokenize`: the NS1 token of a value.
        public static let tokenizeNS1 = Step("tokenize values into NS1 tokens", .tokenize)
        /// NS2 `tokenize` of NS1 tokens: the NS2 references.
        public static let tokenizeNS2 = Step("map NS1 tokens to NS2 references", .tokenize)
        /// NS2 `detokenize`: an NS2 reference back to its NS1 token.
        public static let resolveNS2 = Step("resolve NS2 references", .detokenize)
        /// `GET` of a namespace, to check it is onboarded.
        public static let checkNamespace = Step("check namespace", .info)

        public var description: String { name }
    }

    /// The namespace that failed (the configured NS1 or NS2 name).
    public let namespace: String
    /// Whether that namespace is the NS2 one (references) rather than NS1 (tokens).
    public let isNS2: Bool
    public let step: Step
    /// The TOME failure underneath.
    public let underlying: TOMEError

    /// Whether repeating the operation with the same request id may succeed.
    public var isRetryable: Bool { underlying.isRetryable }

    public var description: String {
        let role = isNS2 ? "NS2" : "NS1"
        return "\(namespace) (the \(role) namespace) failed to \(step): \(underlying)"
    }
}
