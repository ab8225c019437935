public import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the simulator does wrong on purpose. Set at start by flags and replaced at run time
/// with `PUT /admin/faults`; a key that is left out means "no such fault".
///
/// Rates are probabilities per v1 call, from 0 to 1. The admin API is never faulted.
public struct FaultSettings: Sendable, Equatable {
    /// Added to every v1 answer, in milliseconds.
    public var latencyMs: Int = 0
    /// Uniform jitter around the latency: the delay is `latencyMs ± jitterMs`, never negative.
    public var jitterMs: Int = 0
    /// Error answers by HTTP status, e.g. `["503": 0.05, "429": 0.01]`; the rates add up to at most 1.
    public var errorRates: [String: Double] = [:]
    /// Calls per second over all namespaces before answering 429; nil for no limit.
    public var rateLimitPerSecond: Double? = nil
    /// The `Retry-After` sent with an injected or rate-limit 429, in seconds (fractions allowed).
    public var retryAfterSeconds: Double = 1
    /// Answers with one token too few (issue) or one mapping missing (tokenize, detokenize).
    public var wrongCountRate: Double = 0
    /// Answers that repeat a token.
    public var duplicateTokenRate: Double = 0
    /// Answers whose JSON is cut off.
    public var brokenJSONRate: Double = 0
    /// Calls that are carried out but answered only after `hangMs` (so a client times out first).
    public var hangRate: Double = 0
    /// How long a hang lasts. Default 30 s.
    public var hangMs: Int = 30_000
    /// Faults served to the next calls in order, one per call, before any rate is drawn:
    /// an HTTP status (`"503"`), `"wrongCount"`, `"duplicateToken"`, `"brokenJSON"`, `"hang"`,
    /// or `"pass"` to serve that call normally.
    public var nextFaults: [String] = []
    /// Restricts faults to these namespaces; nil means all.
    public var namespaces: [String]? = nil
    /// Restricts faults to these operations (`issue`, `tokenize`, `detokenize`, `info`); nil means all.
    public var operations: [TOMEOperation]? = nil

    public init() {}

    /// Every problem with these settings, named by key; empty when they are usable.
    public func problems() -> [String] {
        var problems: [String] = []
        if latencyMs < 0 { problems.append("latencyMs must be 0 or more") }
        if jitterMs < 0 { problems.append("jitterMs must be 0 or more") }
        if hangMs < 0 { problems.append("hangMs must be 0 or more") }
        if !(retryAfterSeconds >= 0) { problems.append("retryAfterSeconds must be 0 or more") }
        if let rate = rateLimitPerSecond, !(rate > 0) { problems.append("rateLimitPerSecond must be more than 0") }
        for (status, rate) in errorRates {
            guard let code = Int(status), (400...599).contains(code) else {
                problems.append("errorRates key \"\(status.prefix(16))\" must be an HTTP status from 400 to 599")
                continue
            }
            if !(0...1).contains(rate) { problems.append("errorRates[\(code)] must be between 0 and 1") }
        }
        if errorRates.values.reduce(0, +) > 1.000_001 { problems.append("errorRates must add up to at most 1") }
        let named: [(String, Double)] = [
            ("wrongCountRate", wrongCountRate), ("duplicateTokenRate", duplicateTokenRate),
            ("brokenJSONRate", brokenJSONRate), ("hangRate", hangRate),
        ]
        for (name, rate) in named where !(0...1).contains(rate) {
            problems.append("\(name) must be between 0 and 1")
        }
        if wrongCountRate + duplicateTokenRate + brokenJSONRate + hangRate > 1.000_001 {
            problems.append("wrongCountRate, duplicateTokenRate, brokenJSONRate and hangRate must add up to at most 1")
        }
        for fault in nextFaults where fault != InjectedFault.passName && InjectedFault(name: fault) == nil {
            problems.append("nextFaults entry \"\(fault.prefix(32))\" is not a status from 400 to 599 or a known fault")
        }
        return problems
    }
}

extension FaultSettings: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case latencyMs, jitterMs, errorRates, rateLimitPerSecond, retryAfterSeconds, wrongCountRate
        case duplicateTokenRate, brokenJSONRate, hangRate, hangMs, nextFaults, namespaces, operations
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        // A misspelt key would otherwise be ignored silently and the test would run without its fault.
        let all = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.stringValue))
        if let unknown = all.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [unknown], debugDescription: "unknown fault setting \"\(unknown.stringValue.prefix(32))\"")
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        latencyMs = try container.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0
        jitterMs = try container.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0
        errorRates = try container.decodeIfPresent([String: Double].self, forKey: .errorRates) ?? [:]
        rateLimitPerSecond = try container.decodeIfPresent(Double.self, forKey: .rateLimitPerSecond)
        retryAfterSeconds = try container.decodeIfPresent(Double.self, forKey: .retryAfterSeconds) ?? 1
        wrongCountRate = try container.decodeIfPresent(Double.self, forKey: .wrongCountRate) ?? 0
        duplicateTokenRate = try container.decodeIfPresent(Double.self, forKey: .duplicateTokenRate) ?? 0
        brokenJSONRate = try container.decodeIfPresent(Double.self, forKey: .brokenJSONRate) ?? 0
        hangRate = try container.decodeIfPresent(Double.self, forKey: .hangRate) ?? 0
        hangMs = try container.decodeIfPresent(Int.self, forKey: .hangMs) ?? 30_000
        nextFaults = try container.decodeIfPresent([String].self, forKey: .nextFaults) ?? []
        namespaces = try container.decodeIfPresent([String].self, forKey: .namespaces)
        operations = try container.decodeIfPresent([TOMEOperation].self, forKey: .operations)
    }
}

/// One fault served to one call.
enum InjectedFault: Equatable {
    case status(Int)
    case wrongCount
    case duplicateToken
    case brokenJSON
    case hang

    /// The `nextFaults` entry that serves a call without a fault.
    static let passName = "pass"

    init?(name: String) {
        switch name {
        case "wrongCount": self = .wrongCount
        case "duplicateToken": self = .duplicateToken
        case "brokenJSON": self = .brokenJSON
        case "hang": self = .hang
        default:
            guard let code = Int(name), (400...599).contains(code) else { return nil }
            self = .status(code)
        }
    }

    /// The bounded label counted in `/admin/stats`.
    var label: String {
        switch self {
        case .status(let code): String(code)
        case .wrongCount: "wrongCount"
        case .duplicateToken: "duplicateToken"
        case .brokenJSON: "brokenJSON"
        case .hang: "hang"
        }
    }
}
