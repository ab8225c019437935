public import Logging
import Metrics
public import PoolDatabase
public import PostgresNIO
public import TOMEClient

/// Approach 2's reservation library: a new card takes a pre-mapped (NS1, NS2) pair from the
/// pool inside the caller's transaction, with no TOME call; an empty pool falls back to minting
/// a pair through approach 1; detokenizing an NS2 reference is a primary-key lookup.
public struct PoolReserver: Sendable {
    let database: PostgresClient
    let dual: DualNamespaceClient
    let logger: Logger
    let fallbackLog: FallbackLog

    /// Logs nothing: the default for callers that pass no logger.
    public static let disabledLogger = Logger(label: "tome.pool", factory: { _ in SwiftLogNoOpLogHandler() })

    public init(database: PostgresClient, dual: DualNamespaceClient, logger: Logger = PoolReserver.disabledLogger) {
        self.database = database
        self.dual = dual
        self.logger = logger
        self.fallbackLog = FallbackLog(interval: .seconds(60))
    }

    /// Consumes one pair for `cardId` on `connection`, which must be inside the caller's
    /// transaction: the card row and the pair's consumption then commit or roll back together,
    /// so a crash or a rollback returns the pair, and no pair is ever handed out twice.
    ///
    /// One round trip when the pool has pairs: the claim every path runs (`PairClaim`, see
    /// `PoolSQL.claim`). When it is empty, a pair is minted in TOME (NS1 issue, NS2 tokenize)
    /// and recorded the same way with source `tome`.
    public func reserve(cardId: String, on connection: PostgresConnection) async throws -> Reservation {
        if let pair = try await insertWithPooledPair(PairClaim(cardId: cardId), on: connection).first {
            return Reservation(pair: pair, source: .pool)
        }
        return try await mintFallback(cardId: cardId, on: connection)
    }

    /// The NS1 token of an NS2 reference: from the assignments, or else from TOME's NS2
    /// detokenize (and the answer says which). Nil when neither knows the reference.
    public func detokenize(ns2Token: String) async throws -> Detokenized? {
        if let found = try await lookUp(ns2Token: ns2Token) { return found }
        return try await resolveInTOME(ns2Token: ns2Token)
    }

    /// The database's answer alone: nil when this pool never handed the reference out.
    public func lookUp(ns2Token: String) async throws -> Detokenized? {
        // Bounded like every database call, so a stopped database is a prompt error, not a hang.
        let database = database
        let logger = logger
        let stored = try await withDatabaseWork(operation: "look up an NS2 reference", retryConnectionErrors: true, logger: logger) {
            () -> String? in
            for try await ns1 in try await database.query(PoolSQL.lookup(ns2Token: ns2Token), logger: logger).decode(String.self) {
                return ns1
            }
            return nil
        }
        guard let ns1 = stored else { return nil }
        Counter(label: "tome_pool.detokenizations", dimensions: [("source", "database")]).increment()
        return Detokenized(ns1Token: ns1, source: .database)
    }

    /// After a database miss: a card created before the pool, or elsewhere. TOME is the source of truth.
    public func resolveInTOME(ns2Token: String) async throws -> Detokenized? {
        guard let ns1 = try await dual.resolve(reference: ns2Token) else {
            Counter(label: "tome_pool.detokenizations", dimensions: [("source", "unknown")]).increment()
            return nil
        }
        Counter(label: "tome_pool.detokenizations", dimensions: [("source", "tome")]).increment()
        return Detokenized(ns1Token: ns1, source: .tome)
    }

    /// The pool's level and drain, as `tome-prefetch status` reports them.
    public func statistics() async throws -> PoolStatistics {
        // Bounded and retried as `tome-prefetch status` reads them, so a stopped database is an error, not a wait.
        let database = database
        let logger = logger
        return try await withDatabaseWork(operation: "read pool statistics", retryConnectionErrors: true, logger: logger) {
            try await PoolStatisticsReader(client: database, logger: logger).statistics()
        }
    }

    /// Where a claim starts looking: uniform over the range `token_pool.claim_key` is drawn from.
    static func randomStartKey() -> Int64 {
        Int64.random(in: 0..<9_000_000_000_000_000_000)
    }

    /// Approach 1 on the same terms: mints the pair in TOME (NS1 issue, NS2 tokenize) and records
    /// it, skipping the pool. For services without a pool, and as the baseline of the benchmarks.
    public func mintDirect(cardId: String, on connection: PostgresConnection) async throws -> Reservation {
        try await mint(cardId: cardId, on: connection)
    }

    private func mintFallback(cardId: String, on connection: PostgresConnection) async throws -> Reservation {
        Counter(label: "tome_pool.fallbacks").increment()
        if let suppressed = fallbackLog.shouldLog() {
            logger.warning(
                "the token pool is empty: minting pairs straight from TOME",
                metadata: ["fallbacks_since_last_report": "\(suppressed)"]
            )
        }
        return try await mint(cardId: cardId, on: connection)
    }

    private func mint(cardId: String, on connection: PostgresConnection) async throws -> Reservation {
        // The card id keys the TOME request, so a retried creation of this card reuses its tokens.
        let pair = try await dual.mintPair(requestId: "card-\(cardId)")
        try await connection.query(PoolSQL.recordMinted(cardId: cardId, pair: (pair.ns1Token, pair.ns2Token)), logger: logger)
        Counter(label: "tome_pool.reservations", dimensions: [("source", "tome")]).increment()
        return Reservation(pair: pair, source: .tome)
    }
}

/// A reserved pair and where it came from.
public struct Reservation: Sendable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// Taken from the pre-fetched pool: no TOME call.
        case pool
        /// Minted through TOME because the pool was empty.
        case tome
    }

    // No public initializer: only the reserver hands out reservations.
    public var pair: TokenPair
    public var source: Source
}

/// The NS1 token an NS2 reference stands for, and who said so.
public struct Detokenized: Sendable, Equatable {
    public enum Source: String, Sendable, Codable {
        /// The pool handed the reference out: its assignment row names the NS1 token.
        case database
        /// TOME's NS2 detokenize, after a database miss.
        case tome
    }

    public var ns1Token: String
    public var source: Source

    public init(ns1Token: String, source: Source) {
        self.ns1Token = ns1Token
        self.source = source
    }
}
