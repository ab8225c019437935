public import Logging

/// Approach 1: one call that orchestrates TOME's NS1 (token) and NS2 (reference) namespaces.
///
/// ```swift
/// let tome = try HTTPTOMEClient(configuration: .init(baseURL: "https://tome.internal", authToken: token))
/// let dual = DualNamespaceClient(tome: tome)
/// let pair = try await dual.mintPair()                       // NS1 issue, then NS2 tokenize
/// let ns1Token = try await dual.resolve(reference: pair.ns2Token)
/// ```
///
/// Batch forms correlate answers by value, never by position. Mints are idempotent per
/// request id: retrying a failed `mintPairs(count:requestId:)` with the same id gets the same
/// NS1 tokens back from TOME, so no token is lost when NS2 fails half-way.
public struct DualNamespaceClient: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The NS1 namespace (tokens). Default `NS1`.
        public var ns1: String
        /// The NS2 namespace (references). Default `NS2`.
        public var ns2: String
        /// The most tokens asked for in one TOME call; larger requests are split. Default 1000.
        public var maxBatchSize: Int

        public init(ns1: String = "NS1", ns2: String = "NS2", maxBatchSize: Int = 1000) {
            self.ns1 = ns1
            self.ns2 = ns2
            self.maxBatchSize = max(1, maxBatchSize)
        }
    }

    public let tome: any TOMEService
    public let configuration: Configuration
    let logger: Logger

    public init(tome: any TOMEService, configuration: Configuration = Configuration(), logger: Logger = HTTPTOMEClient.disabledLogger) {
        self.tome = tome
        self.configuration = configuration
        self.logger = logger
    }

    /// Mints one fresh pair: an NS1 token and the NS2 reference that maps to it.
    public func mintPair(requestId: String = Self.makeRequestId()) async throws(DualNamespaceError) -> TokenPair {
        let pairs = try await mintPairs(count: 1, requestId: requestId)
        return pairs[0]
    }

    /// Mints `count` fresh pairs, in TOME calls of at most `maxBatchSize` tokens.
    ///
    /// Each chunk's TOME request ids derive from `requestId`, so calling again with the same
    /// id returns the same pairs and asks TOME for no new tokens.
    public func mintPairs(count: Int, requestId: String) async throws(DualNamespaceError) -> [TokenPair] {
        var pairs: [TokenPair] = []
        pairs.reserveCapacity(count)
        var chunkIndex = 0
        var remaining = count
        repeat {
            let size = max(0, min(remaining, configuration.maxBatchSize))
            let chunkId = count <= configuration.maxBatchSize ? requestId : "\(requestId).\(chunkIndex)"
            let ns1Tokens = try await step(.issueNS1, inNS2: false) { namespace throws(TOMEError) in
                try await tome.issueTokens(namespace: namespace, count: size, requestId: "\(chunkId).ns1")
            }
            let references = try await step(.tokenizeNS2, inNS2: true) { namespace throws(TOMEError) in
                try await tome.tokenize(namespace: namespace, values: ns1Tokens, requestId: "\(chunkId).ns2")
            }
            // The answer was validated to map every NS1 token, so this lookup cannot miss.
            pairs.append(contentsOf: ns1Tokens.map { TokenPair(ns1Token: $0, ns2Token: references[$0]!) })
            remaining -= size
            chunkIndex += 1
        } while remaining > 0
        return pairs
    }

    /// Tokenizes one value in both namespaces: NS1 tokenize, then NS2 tokenize of the NS1 token.
    public func tokenize(value: String, requestId: String = Self.makeRequestId()) async throws(DualNamespaceError) -> TokenPair {
        let pairs = try await tokenize(values: [value], requestId: requestId)
        return pairs[value]!
    }

    /// Tokenizes values in both namespaces. The answer is keyed by value; repeated values share a pair.
    public func tokenize(values: [String], requestId: String = Self.makeRequestId()) async throws(DualNamespaceError) -> [String: TokenPair] {
        var pairs: [String: TokenPair] = [:]
        let distinct = values.uniqued()
        pairs.reserveCapacity(distinct.count)
        for (index, chunk) in distinct.chunked(into: configuration.maxBatchSize).enumerated() {
            let chunkId = "\(requestId).\(index)"
            let ns1Tokens = try await step(.tokenizeNS1, inNS2: false) { namespace throws(TOMEError) in
                try await tome.tokenize(namespace: namespace, values: Array(chunk), requestId: "\(chunkId).ns1")
            }
            let references = try await step(.tokenizeNS2, inNS2: true) { namespace throws(TOMEError) in
                try await tome.tokenize(namespace: namespace, values: Array(ns1Tokens.values), requestId: "\(chunkId).ns2")
            }
            for value in chunk {
                let ns1Token = ns1Tokens[value]!
                pairs[value] = TokenPair(ns1Token: ns1Token, ns2Token: references[ns1Token]!)
            }
        }
        return pairs
    }

    /// The NS1 token an NS2 reference stands for, or nil when TOME does not know the reference.
    public func resolve(reference: String) async throws(DualNamespaceError) -> String? {
        try await resolve(references: [reference]).resolved[reference]
    }

    /// Resolves NS2 references to NS1 tokens; unknown references are listed, not thrown.
    public func resolve(references: [String]) async throws(DualNamespaceError) -> ResolveResult {
        var result = ResolveResult(resolved: [:], unknown: [])
        for chunk in references.uniqued().chunked(into: configuration.maxBatchSize) {
            let answer = try await step(.resolveNS2, inNS2: true) { namespace throws(TOMEError) in
                try await tome.detokenize(namespace: namespace, tokens: Array(chunk))
            }
            result.resolved.merge(answer.values) { first, _ in first }
            result.unknown.formUnion(answer.unknown)
        }
        return result
    }

    /// Checks that both namespaces exist in TOME (NS2 onboarding is a prerequisite), naming the one that does not.
    public func checkNamespaces() async throws(DualNamespaceError) -> (ns1: NamespaceInfo, ns2: NamespaceInfo) {
        let ns1Info = try await step(.checkNamespace, inNS2: false) { namespace throws(TOMEError) in try await tome.namespaceInfo(namespace: namespace) }
        let ns2Info = try await step(.checkNamespace, inNS2: true) { namespace throws(TOMEError) in try await tome.namespaceInfo(namespace: namespace) }
        return (ns1Info, ns2Info)
    }

    /// A fresh request id for calls whose caller does not need to replay them.
    public static func makeRequestId() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return "req-" + String(high, radix: 16) + String(low, radix: 16)
    }

    private func step<Answer>(
        _ step: DualNamespaceError.Step,
        inNS2: Bool,
        _ call: (String) async throws(TOMEError) -> Answer
    ) async throws(DualNamespaceError) -> Answer {
        let namespace = inNS2 ? configuration.ns2 : configuration.ns1
        do {
            return try await call(namespace)
        } catch {
            throw DualNamespaceError(namespace: namespace, isNS2: inNS2, step: step, underlying: error)
        }
    }
}

/// What a batch resolve found: the NS1 token of every known NS2 reference, and the unknown references.
public struct ResolveResult: Sendable, Equatable {
    public var resolved: [String: String]
    public var unknown: Set<String>

    public init(resolved: [String: String], unknown: Set<String>) {
        self.resolved = resolved
        self.unknown = unknown
    }
}

extension Array {
    func chunked(into size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: Swift.max(1, size)).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
