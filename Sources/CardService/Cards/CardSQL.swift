import PostgresNIO

/// The card app's statements, in one place.
enum CardSQL {
    static let columns = "card_id, customer_id, ns1_token, ns2_token, token_source, created_at"

    static func insert(
        cardId: String, clientId: String, customerId: String, ns1: String, ns2: String, source: String, idempotencyKey: String?,
        fingerprint: String?
    ) -> PostgresQuery {
        """
        INSERT INTO card (card_id, client_id, customer_id, ns1_token, ns2_token, token_source, idempotency_key, request_hash)
        VALUES (\(cardId), \(clientId), \(customerId), \(ns1), \(ns2), \(source), \(idempotencyKey), \(fingerprint))
        ON CONFLICT (client_id, idempotency_key) DO NOTHING
        RETURNING created_at
        """
    }

    /// The card and the client that created it (NULL: made before cards recorded their client).
    static func find(cardId: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(columns), client_id FROM card WHERE card_id = $1", binds: bind([cardId]))
    }

    /// A client's card for an Idempotency-Key, with the request's fingerprint.
    static func find(clientId: String, idempotencyKey: String) -> PostgresQuery {
        PostgresQuery(
            unsafeSQL: "SELECT \(columns), request_hash FROM card WHERE client_id = $1 AND idempotency_key = $2",
            binds: bind([clientId, idempotencyKey])
        )
    }

    private static func bind(_ values: [String]) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { bindings.append(value) }
        return bindings
    }
}
