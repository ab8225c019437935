import Synchronization
import TOMEWire

/// The simulator's memory of every token: thread-safe, unique across namespaces.
final class TokenVault: Sendable {
    /// Why a call cannot be served; becomes a 4xx answer.
    struct Refusal: Error, Equatable {
        var status: Int
        var code: String
        var message: String
    }

    private struct Namespace {
        var issuedByRequest: [String: [String]] = [:]
        var tokenByValue: [String: String] = [:]
        var valueByToken: [String: String] = [:]
        var tokensIssued = 0
        var calls: [TOMEOperation: Int] = [:]
    }

    private struct State {
        var namespaces: [String: Namespace]
        var allTokens: Set<String> = []
        // Seeded once from the system: one getrandom call per character made token minting
        // the simulator's bottleneck. Simulator tokens need to be unique, not unguessable.
        var generator: SplitMix64 = {
            var system = SystemRandomNumberGenerator()
            return SplitMix64(seed: system.next())
        }()
    }

    let namespaceNames: [String]
    private let state: Mutex<State>

    init(namespaces: [String]) {
        namespaceNames = namespaces
        state = Mutex(State(namespaces: Dictionary(uniqueKeysWithValues: namespaces.map { ($0, Namespace()) })))
    }

    func exists(_ namespace: String) -> Bool {
        namespaceNames.contains(namespace)
    }

    func countCall(_ namespace: String, _ operation: TOMEOperation) {
        state.withLock { $0.namespaces[namespace]?.calls[operation, default: 0] += 1 }
    }

    /// Fresh tokens; the same request id returns the same tokens, another count under it is a conflict.
    func issue(namespace: String, count: Int, requestId: String) throws(Refusal) -> [String] {
        try state.withLock { (state: inout State) throws(Refusal) -> [String] in
            if let earlier = state.namespaces[namespace]?.issuedByRequest[requestId] {
                guard earlier.count == count else {
                    throw Refusal(
                        status: 409, code: "request_id_conflict",
                        message: "requestId was used before with count \(earlier.count)"
                    )
                }
                return earlier
            }
            var tokens: [String] = []
            tokens.reserveCapacity(count)
            for _ in 0..<count {
                tokens.append(Self.freshToken(namespace: namespace, state: &state))
            }
            state.namespaces[namespace]?.issuedByRequest[requestId] = tokens
            state.namespaces[namespace]?.tokensIssued += count
            return tokens
        }
    }

    /// Convergent tokenization: a value keeps its token forever.
    func tokenize(namespace: String, values: [String]) -> [TokenMapping] {
        state.withLock { state in
            values.map { value in
                if let token = state.namespaces[namespace]?.tokenByValue[value] {
                    return TokenMapping(value: value, token: token)
                }
                let token = Self.freshToken(namespace: namespace, state: &state)
                state.namespaces[namespace]?.tokenByValue[value] = token
                state.namespaces[namespace]?.valueByToken[token] = value
                state.namespaces[namespace]?.tokensIssued += 1
                return TokenMapping(value: value, token: token)
            }
        }
    }

    /// Values of known tokens; tokens without a value (unknown, or issued and never tokenized) are unknown.
    func detokenize(namespace: String, tokens: [String]) -> DetokenizeResponse {
        state.withLock { state in
            var values: [ValueMapping] = []
            var unknown: [String] = []
            for token in tokens {
                if let value = state.namespaces[namespace]?.valueByToken[token] {
                    values.append(ValueMapping(token: token, value: value))
                } else {
                    unknown.append(token)
                }
            }
            return DetokenizeResponse(values: values, unknown: unknown.isEmpty ? nil : unknown)
        }
    }

    func stats() -> [String: NamespaceStats] {
        state.withLock { state in
            state.namespaces.mapValues { namespace in
                NamespaceStats(
                    tokensIssued: namespace.tokensIssued,
                    calls: Dictionary(uniqueKeysWithValues: TOMEOperation.allCases.map { ($0.rawValue, namespace.calls[$0] ?? 0) })
                )
            }
        }
    }

    /// Forgets every token and zeroes the counters.
    func reset() {
        state.withLock { state in
            state.namespaces = Dictionary(uniqueKeysWithValues: namespaceNames.map { ($0, Namespace()) })
            state.allTokens = []
        }
    }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// `ns1_` plus 22 random base62 characters (about 131 bits), retried in the unlikely case of a clash.
    private static func freshToken(namespace: String, state: inout State) -> String {
        let prefix = namespace.lowercased() + "_"
        while true {
            var token = prefix
            token.reserveCapacity(prefix.utf8.count + 22)
            // Up to ten base62 digits from each 64-bit draw (62^10 < 2^64).
            var remaining = 22
            while remaining > 0 {
                var bits = state.generator.next()
                let digits = min(10, remaining)
                for _ in 0..<digits {
                    token.append(alphabet[Int(bits % 62)])
                    bits /= 62
                }
                remaining -= digits
            }
            if state.allTokens.insert(token).inserted { return token }
        }
    }
}

/// One namespace's counters in `/admin/stats`.
public struct NamespaceStats: Codable, Sendable, Equatable {
    /// Fresh tokens created (issued, or first-time tokenized); replays do not count.
    public var tokensIssued: Int
    /// Calls received per operation (`issue`, `tokenize`, `detokenize`, `info`), faulted ones included.
    public var calls: [String: Int]

    public init(tokensIssued: Int, calls: [String: Int]) {
        self.tokensIssued = tokensIssued
        self.calls = calls
    }
}

/// The body of `GET /admin/stats`.
public struct SimulatorStats: Codable, Sendable, Equatable {
    public var namespaces: [String: NamespaceStats]
    /// Faults served in all (errors, rate limiting, malformed answers, hangs).
    public var faultsInjected: Int
    /// Faults served by kind: an HTTP status, `wrongCount`, `duplicateToken`, `brokenJSON`, `hang`.
    public var faults: [String: Int]
}
