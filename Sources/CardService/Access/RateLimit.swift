/// A client's rate for one budget: a token bucket that refills `ratePerSecond` and holds `burst`.
public struct RateLimit: Sendable, Equatable {
    public var ratePerSecond: Double
    public var burst: Int

    public init(ratePerSecond: Double, burst: Int) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }
}

/// What a rate limits: the calls of one scope, or the detokenize misses that go on to TOME, a
/// smaller budget because each costs a TOME call made with the app's own credentials.
public enum Budget: Hashable, Sendable, CaseIterable {
    case scope(Scope)
    case tomeLookups

    public static var allCases: [Budget] { Scope.allCases.map(Budget.scope) + [.tomeLookups] }

    /// The key in a client's `"limits"`.
    public var name: String {
        switch self {
        case .scope(let scope): scope.rawValue
        case .tomeLookups: "tome-lookups"
        }
    }

    public init?(name: String) {
        guard let budget = Budget.allCases.first(where: { $0.name == name }) else { return nil }
        self = budget
    }

    /// For a client whose `"limits"` do not name this budget: generous for the card path, small
    /// for reads of others' cards and for TOME lookups, which an attacker would use to sweep.
    public var defaultLimit: RateLimit {
        switch self {
        case .scope(.cardsCreate): RateLimit(ratePerSecond: 200, burst: 400)
        case .scope(.cardsRead): RateLimit(ratePerSecond: 50, burst: 100)
        case .scope(.cardsReadAny): RateLimit(ratePerSecond: 10, burst: 20)
        case .scope(.tokensDetokenize): RateLimit(ratePerSecond: 100, burst: 200)
        case .tomeLookups: RateLimit(ratePerSecond: 2, burst: 10)
        }
    }
}
