public import PostgresNIO
public import TokenPool

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A new card's row, written by the statement that claims its pair (one round trip).
///
/// No `ON CONFLICT` here: a second request with the same Idempotency-Key that got past the
/// skip condition (both ran at once) must fail with a unique violation, which undoes its claim,
/// so the loser's pair stays in the pool. The card store then answers with the winner's card.
public struct PooledCardInsert: PooledInsert {
    public static let insertSQL = """
        INSERT INTO card (card_id, client_id, customer_id, ns1_token, ns2_token, token_source, idempotency_key, request_hash)
        SELECT $1, $6, $3, ns1_token, ns2_token, 'pool', $4, $5 FROM pooled_pair
        RETURNING ns1_token, ns2_token, created_at
        """

    /// A key that already has a card of this client claims nothing: the store reads that card instead.
    public static let skipClaimWhen: String? = "EXISTS (SELECT 1 FROM card WHERE client_id = $6 AND idempotency_key = $4)"

    public let cardId: String
    let customerId: String
    let idempotencyKey: String?
    let fingerprint: String?
    /// The client creating the card: its owner.
    let clientId: String

    public func appendBindings(to bindings: inout PostgresBindings) throws {
        bindings.append(customerId)
        bindings.append(idempotencyKey)
        bindings.append(fingerprint)
        bindings.append(clientId)
    }

    public func decodeRow(_ row: PostgresRow) throws -> Card {
        let (ns1, ns2, createdAt) = try row.decode((String, String, Date).self)
        return Card(cardId: cardId, customerId: customerId, ns1Token: ns1, ns2Token: ns2, tokenSource: "pool", createdAt: createdAt)
    }
}
