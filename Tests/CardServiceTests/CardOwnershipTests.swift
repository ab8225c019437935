import CardService
import Foundation
import HTTPTypes
import PoolDatabase
import PostgresNIO
import TestSupport
import Testing

/// One client's cards are that client's: its Idempotency-Keys, its reads, and the internal token
/// only where the client may detokenize. Real PostgreSQL, the app over real HTTP.
@Suite("card-app card ownership")
struct CardOwnershipTests {
    static let issuerA = TestKey.random("issuer-a")
    static let issuerB = TestKey.random("issuer-b")
    static let resolver = TestKey.random("resolver")
    static let support = TestKey.random("support")

    /// Two card creators that read their own cards, one that may also detokenize, and a support
    /// tool that reads any card.
    static let clients = ClientsFile.json([
        ("issuer-a", [issuerA], [.cardsCreate, .cardsRead]), ("issuer-b", [issuerB], [.cardsCreate, .cardsRead]),
        ("resolver", [resolver], [.cardsCreate, .cardsRead, .tokensDetokenize]), ("support", [support], [.cardsReadAny]),
    ])

    static func withOwnedCards(_ body: @Sendable (CardAppHarness) async throws -> Void) async throws {
        try await withCardApp(clientsFile: clients) { app in
            try await app.fill(10)
            try await body(app)
        }
    }

    @Test func twoClientsWithOneIdempotencyKeyGetTwoCardsAndEachReplayItsOwn() async throws {
        try await Self.withOwnedCards { app in
            let body = #"{"customerId": "cust-1"}"#
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-1"]
            let first = try await app.send(.post, "/v1/cards", json: body, token: Self.issuerA.key, headers: key)
            let second = try await app.send(.post, "/v1/cards", json: body, token: Self.issuerB.key, headers: key)
            #expect(first.status == .created && second.status == .created)
            let cardA = try first.decodeCard()
            let cardB = try second.decodeCard()
            #expect(cardA.cardId != cardB.cardId)
            #expect(cardA.ns2Token != cardB.ns2Token)
            // Each replay answers its own client's card, with both tokens: the client made it.
            let replayA = try await app.send(.post, "/v1/cards", json: body, token: Self.issuerA.key, headers: key)
            let replayB = try await app.send(.post, "/v1/cards", json: body, token: Self.issuerB.key, headers: key)
            #expect(replayA.status == .ok && replayB.status == .ok)
            #expect(try replayA.decodeCard().cardId == cardA.cardId)
            #expect(try replayB.decodeCard().cardId == cardB.cardId)
            #expect(try replayB.decodeCard().ns1Token == cardB.createdNS1Token)
            #expect(try await app.count("SELECT count(*) FROM card WHERE idempotency_key = 'order-1'") == 2)
            let owners = try await app.strings("SELECT client_id FROM card ORDER BY client_id")
            #expect(owners == ["issuer-a", "issuer-b"])
            // The stored fingerprint is a SHA-256 of the request.
            let fingerprints = try await app.strings("SELECT request_hash FROM card")
            #expect(fingerprints.allSatisfy { $0.hasPrefix("sha256:") && $0.count == 7 + 64 })
        }
    }

    @Test func aClientReadsOnlyItsOwnCardsAndAnotherClientsIsNoCardAtAll() async throws {
        try await Self.withOwnedCards { app in
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-2"}"#, token: Self.issuerA.key)
            let card = try created.decodeCard()
            #expect(try !card.createdNS1Token.isEmpty)

            // Its own card, without the internal token: issuer-a may not detokenize.
            let own = try await app.send(.get, "/v1/cards/\(card.cardId)", token: Self.issuerA.key)
            #expect(own.status == .ok)
            #expect(try own.decodeCard().ns1Token == nil)
            #expect(!own.text.contains("ns1Token"))
            #expect(own.text.contains(card.ns2Token))

            // Another client's card answers exactly as a card that does not exist.
            let other = try await app.send(.get, "/v1/cards/\(card.cardId)", token: Self.issuerB.key)
            let missing = try await app.send(.get, "/v1/cards/card_doesnotexist", token: Self.issuerB.key)
            #expect(other.status == .notFound && missing.status == .notFound)
            #expect(try other.decode(ErrorBody.self).error.message == missing.decode(ErrorBody.self).error.message)
            #expect(!other.text.contains(card.ns2Token))

            // The support tool reads any card; the record says who read whose.
            let support = try await app.send(.get, "/v1/cards/\(card.cardId)", token: Self.support.key)
            #expect(support.status == .ok)
            #expect(try support.decodeCard().ns1Token == nil)
            let outcomes = try app.audit.requestRecords().filter { $0["cardId"] as? String == card.cardId }
                .map { "\($0["client"] as? String ?? "-") \($0["outcome"] as? String ?? "-")" }
            #expect(outcomes == ["issuer-a created", "issuer-a database", "issuer-b not_owner", "support database"])
        }
    }

    @Test func aReaderThatMayDetokenizeSeesTheInternalToken() async throws {
        try await Self.withOwnedCards { app in
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-3"}"#, token: Self.resolver.key)
            let card = try created.decodeCard()
            let read = try await app.send(.get, "/v1/cards/\(card.cardId)", token: Self.resolver.key)
            #expect(read.status == .ok)
            #expect(try read.decodeCard().ns1Token == card.createdNS1Token)
        }
    }

    /// A database from before cards recorded their client: `migrate` keeps its cards, with no
    /// owner, readable only with cards:read-any; their keys no longer answer anyone's replay.
    @Test func migratingKeepsEarlierCardsWithAnUnknownOwner() async throws {
        try await Self.withOwnedCards { app in
            try await app.database.query("DROP TABLE card")
            try await app.database.query(
                """
                CREATE TABLE card (
                    card_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, ns1_token TEXT NOT NULL UNIQUE,
                    ns2_token TEXT NOT NULL UNIQUE, token_source TEXT NOT NULL CHECK (token_source IN ('pool', 'tome')),
                    idempotency_key TEXT UNIQUE, request_hash TEXT, created_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """
            )
            try await app.database.query("DELETE FROM schema_version WHERE version = 4")
            try await app.database.query(
                """
                INSERT INTO card (card_id, customer_id, ns1_token, ns2_token, token_source, idempotency_key, request_hash)
                VALUES ('card_before', 'cust-0', 'ns1-before', 'ns2-before', 'pool', 'order-1', 'a1b2c3')
                """
            )
            #expect(try await Schema.migrate(app.database, logger: TestDatabase.quietLogger) == 4)
            #expect(try await app.strings("SELECT coalesce(client_id, 'unknown') FROM card WHERE card_id = 'card_before'") == ["unknown"])

            #expect(try await app.send(.get, "/v1/cards/card_before", token: Self.issuerA.key).status == .notFound)
            let support = try await app.send(.get, "/v1/cards/card_before", token: Self.support.key)
            #expect(support.status == .ok)
            #expect(try support.decodeCard().ns2Token == "ns2-before")
            // The old key is nobody's now: the same key makes the client a card of its own.
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-1"]
            let fresh = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-0"}"#, token: Self.issuerA.key, headers: key)
            #expect(fresh.status == .created)
            #expect(try fresh.decodeCard().cardId != "card_before")
        }
    }
}

extension CardAppHarness {
    func count(_ sql: String) async throws -> Int {
        for try await count in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return count }
        return 0
    }

    func strings(_ sql: String) async throws -> [String] {
        var values: [String] = []
        for try await value in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { values.append(value) }
        return values
    }
}
