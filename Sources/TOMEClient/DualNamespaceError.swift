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

        /// NS1 `tokens:issue`: fresh internal tokens for new pairs.
        public static let issueInternal = Step("issue internal tokens", .issue)
        /// NS1 `tokenize`: the internal token of a value.
        public static let tokenizeInternal = Step("tokenize values into internal tokens", .tokenize)
        /// NS2 `tokenize` of NS1 tokens: the external references.
        public static let tokenizeExternal = Step("map internal tokens to external references", .tokenize)
        /// NS2 `detokenize`: an external reference back to its internal token.
        public static let resolveExternal = Step("resolve external references", .detokenize)
        /// `GET` of a namespace, to check it is onboarded.
        public static let checkNamespace = Step("check namespace", .info)

        public var description: String { name }
    }

    /// The namespace that failed (the configured NS1 or NS2 name).
    public let namespace: String
    /// Whether that namespace is the internal (NS1) or the external (NS2) one.
    public let isExternal: Bool
    public let step: Step
    /// The TOME failure underneath.
    public let underlying: TOMEError

    /// Whether repeating the operation with the same request id may succeed.
    public var isRetryable: Bool { underlying.isRetryable }

    public var description: String {
        let role = isExternal ? "external" : "internal"
        return "\(namespace) (\(role) namespace) failed to \(step): \(underlying)"
    }
}
