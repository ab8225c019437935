import CardService
import Foundation
import HTTPTypes
import TestSupport
import Testing

/// Per-client rates: a burst past a client's limit is 429 with Retry-After and on the record,
/// parallel calls are held to the limit, and detokenize misses that go to TOME have a budget of
/// their own (or no TOME at all).
@Suite("card-app rate limits")
struct RateLimitTests {
    static let reader = TestKey.random("reader")
    static let resolver = TestKey.random("resolver")
    static let issuer = TestKey.random("issuer")

    /// A reader held to a burst of 5 (refilling once a minute, so the test sees the burst alone),
    /// and a resolver whose TOME lookups are held to 1.
    static let limitedClients = """
        {"clients": [
          {"id": "reader", "keySha256": ["\(reader.hash)"], "scopes": ["cards:read-any"],
           "limits": {"cards:read-any": {"ratePerSecond": 0.0167, "burst": 5}}},
          {"id": "resolver", "keySha256": ["\(resolver.hash)"], "scopes": ["tokens:detokenize"],
           "limits": {"tome-lookups": {"ratePerSecond": 0.0167, "burst": 1}}},
          {"id": "issuer", "keySha256": ["\(issuer.hash)"], "scopes": ["cards:create", "cards:read-any"]}
        ]}
        """

    @Test func aBurstPastTheRateIs429WithRetryAfterAndOnTheRecord() async throws {
        try await withCardApp(clientsFile: Self.limitedClients) { app in
            // Twenty reads at once: the bucket holds five, whatever the interleaving.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await app.send(.get, "/v1/cards/card_missing", token: Self.reader.key).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .notFound }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 15)
            let limited = try await app.send(.get, "/v1/cards/card_missing", token: Self.reader.key)
            #expect(limited.status == .tooManyRequests)
            let wait = Int(limited.headers[.retryAfter] ?? "") ?? 0
            #expect(wait >= 1 && wait <= 60, "Retry-After \(wait)")
            #expect(try limited.decode(ErrorBody.self).error.code == "rate_limited")
            #expect(try limited.decode(ErrorBody.self).error.message.contains("cards:read-any"))
            let outcomes = try app.audit.requestRecords().map { $0["outcome"] as? String ?? "" }
            #expect(outcomes.filter { $0 == "limited" }.count == 16)
            #expect(try app.audit.requestRecords().filter { $0["outcome"] as? String == "limited" }.allSatisfy { $0["detail"] as? String == "cards:read-any" })
            // Another client's budget is its own (the default, here).
            #expect(try await app.send(.get, "/v1/cards/card_missing", token: Self.issuer.key).status == .notFound)
        }
    }

    @Test func detokenizeMissesThatGoToTOMEHaveASmallerBudget() async throws {
        try await withCardApp(clientsFile: Self.limitedClients) { app in
            let first = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "ns2_unknown_1"}"#, token: Self.resolver.key)
            #expect(first.status == .notFound)
            let second = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "ns2_unknown_2"}"#, token: Self.resolver.key)
            #expect(second.status == .tooManyRequests)
            #expect(try second.decode(ErrorBody.self).error.message.contains("tome-lookups"))
            #expect(app.simulator.simulator.stats.namespaces["NS2"]?.calls["detokenize"] == 1)
            // A reference the database knows is answered still: its lookups cost TOME nothing.
            try await app.fill(1)
            let card = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#, token: Self.issuer.key).decodeCard()
            let known = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#, token: Self.resolver.key)
            #expect(known.status == .ok)
        }
    }

    @Test func withoutTOMELookupsAMissIs404AndCallsNoTOME() async throws {
        try await withCardApp(detokenizeFromTOME: false) { app in
            let elsewhere = try await app.dual.mintPair(requestId: "made-elsewhere")
            let response = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(elsewhere.ns2Token)"}"#)
            #expect(response.status == .notFound)
            #expect(try response.decode(ErrorBody.self).error.message.contains("not handed out here"))
            #expect((app.simulator.simulator.stats.namespaces["NS2"]?.calls["detokenize"] ?? 0) == 0)
        }
    }

    @Test func limitsInTheClientsDocumentAreChecked() throws {
        let bad = [
            (#""limits": {"cards:creat": {"ratePerSecond": 1, "burst": 1}}"#, "is not a budget"),
            (#""limits": {"cards:create": {"ratePerSecond": 0, "burst": 1}}"#, "ratePerSecond"),
            (#""limits": {"cards:create": {"ratePerSecond": 1, "burst": 1.5}}"#, "burst"),
            (#""limits": {"cards:create": {"ratePerSecond": 1}}"#, "burst"),
        ]
        for (limits, expected) in bad {
            let document = #"{"clients": [{"id": "a", "keySha256": ["\#(Self.reader.hash)"], "scopes": ["cards:create"], \#(limits)}]}"#
            let error = #expect(throws: ClientsFileError.self) { try ClientSet.parse(Array(document.utf8)) }
            #expect(error?.description.contains(expected) == true, "\(String(describing: error))")
        }
    }
}
