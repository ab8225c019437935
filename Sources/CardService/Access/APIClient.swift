import Crypto

/// A caller of the card API: who it is, the SHA-256 of each key it may present (two during a
/// rotation), and what it may do. The keys themselves are never held.
public struct APIClient: Sendable, Equatable {
    public var id: String
    public var keyHashes: [[UInt8]]
    public var scopes: Set<Scope>
    /// The client's own rates (`"limits"` in the clients document); a budget not named here has
    /// its default.
    public var limits: [Budget: RateLimit]

    public init(id: String, keyHashes: [[UInt8]], scopes: Set<Scope>, limits: [Budget: RateLimit] = [:]) {
        self.id = id
        self.keyHashes = keyHashes
        self.scopes = scopes
        self.limits = limits
    }

    public func limit(_ budget: Budget) -> RateLimit {
        limits[budget] ?? budget.defaultLimit
    }
}

/// The clients in force: from `CARD_APP_CLIENTS_FILE`, or the one client `CARD_APP_TOKEN` makes.
public struct ClientSet: Sendable, Equatable {
    public var clients: [APIClient]

    public init(clients: [APIClient]) {
        self.clients = clients
    }

    /// `CARD_APP_TOKEN` alone, for local runs: one client, `local`, with every scope.
    public static func single(token: String) -> ClientSet {
        ClientSet(clients: [APIClient(id: "local", keyHashes: [sha256(token)], scopes: Set(Scope.allCases))])
    }

    /// The client whose key this is, or nil. The presented key's hash is compared with every
    /// stored hash, each in constant time and with no early exit, so response times say
    /// nothing about which bytes, or which client, came close.
    public func authenticate(key: String) -> APIClient? {
        let presented = Self.sha256(key)
        var found: APIClient?
        for client in clients {
            for hash in client.keyHashes where Self.constantTimeEquals(hash, presented) {
                found = client
            }
        }
        return found
    }

    static func sha256(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(key.utf8)))
    }

    static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        var difference = UInt8(lhs.count == rhs.count ? 0 : 1)
        for index in 0..<max(lhs.count, rhs.count) {
            difference |= (index < lhs.count ? lhs[index] : 0) ^ (index < rhs.count ? rhs[index] : 0)
        }
        return difference == 0
    }
}
