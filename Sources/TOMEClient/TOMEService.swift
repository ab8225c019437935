@_exported public import TOMEWire
@_exported public import Resilience

/// The TOME operations every caller depends on.
///
/// `HTTPTOMEClient` speaks the v1 HTTP contract; an adapter for another wire format
/// conforms to this protocol and replaces it without touching callers. Every implementation
/// returns only validated answers (see `AnswerValidation`) and throws only `TOMEError`.
public protocol TOMEService: Sendable {
    /// Issues `count` fresh tokens in `namespace`. The same `requestId` returns the same
    /// tokens, so a retried or resumed call leaks nothing.
    func issueTokens(namespace: String, count: Int, requestId: String) async throws(TOMEError) -> [String]

    /// Tokenizes `values` in `namespace`; convergent. The answer maps every distinct value to its token.
    func tokenize(namespace: String, values: [String], requestId: String) async throws(TOMEError) -> [String: String]

    /// Detokenizes `tokens` in `namespace`; unknown tokens are reported, not thrown.
    func detokenize(namespace: String, tokens: [String]) async throws(TOMEError) -> DetokenizeResult

    /// Describes `namespace`; throws a `TOMEError` with status 404 when it does not exist.
    func namespaceInfo(namespace: String) async throws(TOMEError) -> NamespaceInfo
}

/// What a detokenize call found: the value of every known token, and the tokens TOME does not know.
public struct DetokenizeResult: Sendable, Equatable {
    public var values: [String: String]
    public var unknown: Set<String>

    public init(values: [String: String], unknown: Set<String>) {
        self.values = values
        self.unknown = unknown
    }
}
