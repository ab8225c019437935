import Logging
import PoolDatabase
import PostgresNIO
import TOMEClient
import TokenPool

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Creates and reads cards; a new card reserves its pair in the same transaction as its row.
struct CardStore: Sendable {
    let database: PostgresClient
    let pool: PoolReserver
    /// Approach 1: every card's pair minted in TOME, no pool.
    let direct: Bool
    let logger: Logger

    /// The card and whether it was created now (false: an earlier request of this client with
    /// the same key made it). The card belongs to `clientId`; keys are the client's own.
    ///
    /// A pool with a pair makes the card in one statement (`PoolReserver.insertWithPooledPair`):
    /// one round trip. An empty pool, or a key that already has a card, takes the two-step path.
    func create(_ request: CreateCardRequest, clientId: String, idempotencyKey: String?) async throws -> (card: Card, created: Bool) {
        // Chosen once, outside the retries: a retried transaction asks TOME (on fallback) with the
        // same card id, so it gets the same tokens back instead of minting new ones.
        let cardId = "card_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        if !direct {
            let insert = PooledCardInsert(
                cardId: cardId, customerId: request.customerId, idempotencyKey: idempotencyKey,
                fingerprint: idempotencyKey == nil ? nil : request.fingerprint, clientId: clientId
            )
            let pool = pool
            do {
                // Retried only on a serialization failure: the statement is atomic, so a failed attempt
                // left nothing behind, while after a broken connection it may have committed a card.
                // Nil: it claimed nothing (and wrote nothing).
                // withDatabaseRetry, though the work is the database's alone: with withDatabaseWork's
                // typed throws, the `catch … where` below crashes the Swift 6.3 compiler (SILGen).
                if let card = try await withDatabaseRetry(operation: "create a card", logger: logger, { try await pool.insertWithPooledPair(insert).first }) {
                    return (card, true)
                }
            } catch let error as DatabaseError where error.sqlState == "23505" && idempotencyKey != nil {
                // A concurrent request with the same key made its card first; ours was undone.
                return try await winner(of: request, clientId: clientId, idempotencyKey: idempotencyKey)
            }
        }
        if let idempotencyKey, let existing = try await existing(clientId: clientId, idempotencyKey: idempotencyKey, request: request) {
            return (existing, false)
        }
        let pool = pool
        let database = database
        let logger = logger
        let direct = direct
        let card: Card?
        do {
            card = try await withDatabaseRetry(operation: "create a card", logger: logger) {
            try await database.withTransaction(logger: logger) { connection in
                let reservation =
                    direct
                    ? try await pool.mintDirect(cardId: cardId, on: connection)
                    : try await pool.reserve(cardId: cardId, on: connection)
                let rows = try await connection.query(
                    CardSQL.insert(
                        cardId: cardId, clientId: clientId, customerId: request.customerId, ns1: reservation.pair.ns1Token,
                        ns2: reservation.pair.ns2Token, source: reservation.source.rawValue,
                        idempotencyKey: idempotencyKey, fingerprint: idempotencyKey == nil ? nil : request.fingerprint
                    ),
                    logger: logger
                )
                for try await createdAt in rows.decode(Date.self) {
                    return Card(
                        cardId: cardId, customerId: request.customerId, ns1Token: reservation.pair.ns1Token,
                        ns2Token: reservation.pair.ns2Token, tokenSource: reservation.source.rawValue, createdAt: createdAt
                    )
                }
                // Another request with the same key won the race: undo ours, so the pair goes back.
                throw IdempotencyRace()
            }
            }
        } catch is IdempotencyRace {
            return try await winner(of: request, clientId: clientId, idempotencyKey: idempotencyKey)
        }
        if let card { return (card, true) }
        throw APIError(.internalServerError, code: "internal", message: "internal error")
    }

    /// The card of the request that won a race on `idempotencyKey`, once ours was undone.
    private func winner(of request: CreateCardRequest, clientId: String, idempotencyKey: String?) async throws -> (card: Card, created: Bool) {
        if let idempotencyKey, let existing = try await existing(clientId: clientId, idempotencyKey: idempotencyKey, request: request) {
            return (existing, false)
        }
        throw APIError.unavailable("a concurrent request with this Idempotency-Key did not finish; retry")
    }

    /// The card with its owner; the route decides who may see it.
    func find(cardId: String) async throws -> OwnedCard? {
        try await read("read a card", CardSQL.find(cardId: cardId)) { row in
            let row = try row.decode((String, String, String, String, String, Date, String?).self)
            let card = Card(cardId: row.0, customerId: row.1, ns1Token: row.2, ns2Token: row.3, tokenSource: row.4, createdAt: row.5)
            return OwnedCard(card: card, owner: row.6)
        }.first
    }

    private func existing(clientId: String, idempotencyKey: String, request: CreateCardRequest) async throws -> Card? {
        let rows = try await read("look up an Idempotency-Key", CardSQL.find(clientId: clientId, idempotencyKey: idempotencyKey)) {
            try $0.decode((String, String, String, String, String, Date, String?).self)
        }
        for row in rows {
            guard row.6 == request.fingerprint else {
                throw APIError(
                    .unprocessableContent, code: "idempotency_key_reused",
                    message: "this Idempotency-Key was used with a different request body"
                )
            }
            return Card(cardId: row.0, customerId: row.1, ns1Token: row.2, ns2Token: row.3, tokenSource: row.4, createdAt: row.5)
        }
        return nil
    }

    /// A read, retried on a broken connection and bounded in time like every database call here:
    /// without the bound, a stopped database held these requests (and shutdown) for minutes.
    /// Rows are decoded inside, so a row that does not decode is a `DatabaseError` naming the operation.
    private func read<Value: Sendable>(
        _ operation: String, _ query: PostgresQuery, _ decode: @escaping @Sendable (PostgresRow) throws -> Value
    ) async throws(DatabaseError) -> [Value] {
        let database = database
        let logger = logger
        return try await withDatabaseWork(operation: operation, retryConnectionErrors: true, logger: logger) {
            try await database.query(query, logger: logger).collect().map(decode)
        }
    }
}

struct IdempotencyRace: Error {}
