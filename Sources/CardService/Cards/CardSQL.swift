import PostgresNIO

/// The card app's statements, in one place.
enum CardSQL {
    static let columns = "card_id, customer_id, ns1_token, ns2_token, token_source, created_at"

    static func insert(cardId: String, customerId: String, ns1: String, ns2: String, source: String, idempotencyKey: String?, fingerprint: String?) -> PostgresQuery {
        """
        INSERT INTO card (card_id, customer_id, ns1_token, ns2_token, token_source, idempotency_key, request_hash)
        VALUES (\(cardId), \(customerId), \(ns1), \(ns2), \(source), \(idempotencyKey), \(fingerprint))
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING created_at
        """
    }

    static func find(cardId: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(columns) FROM card WHERE card_id = $1", binds: bind(cardId))
    }

    static func find(idempotencyKey: String) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT \(columns), request_hash FROM card WHERE idempotency_key = $1", binds: bind(idempotencyKey))
    }

    private static func bind(_ value: String) -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 1)
        bindings.append(value)
        return bindings
    }
}
