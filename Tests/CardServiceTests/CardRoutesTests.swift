import Foundation
import HummingbirdTesting
import HTTPTypes
import Testing
import TOMESimulator
import TOMEClient

@Suite("card-app over HTTP")
struct CardRoutesTests {
    @Test func createReadAndDetokenizeAPooledCard() async throws {
        try await withCardApp { app in
            try await app.fill(5)
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-42"}"#)
            #expect(created.status == .created)
            let card = try created.decodeCard()
            #expect(card.customerId == "cust-42")
            #expect(card.tokenSource == "pool")
            #expect(card.cardId.hasPrefix("card_"))

            let read = try await app.send(.get, "/v1/cards/\(card.cardId)")
            #expect(read.status == .ok)
            #expect(try read.decodeCard().ns2Token == card.ns2Token)

            let detokenized = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#)
            #expect(detokenized.status == .ok)
            #expect(detokenized.text.contains(#""ns1Token":"\#(try card.createdNS1Token)""#))
            #expect(detokenized.text.contains(#""source":"database""#))
            #expect(try await app.dual.resolve(reference: card.ns2Token) == card.createdNS1Token)
            // No TOME call made the card: the pair came from the pool.
            #expect(app.simulator.simulator.stats.namespaces["NS1"]?.calls["issue"] == 1)
        }
    }

    @Test func anEmptyPoolStillCreatesCardsThroughTOME() async throws {
        try await withCardApp { app in
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-1"}"#)
            #expect(created.status == .created)
            let card = try created.decodeCard()
            #expect(card.tokenSource == "tome")
            #expect(try await app.dual.resolve(reference: card.ns2Token) == card.createdNS1Token)
            let detokenized = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#)
            #expect(detokenized.text.contains(#""source":"database""#))
        }
    }

    @Test func directModeMintsEveryCardInTOMEEvenWithAFullPool() async throws {
        try await withCardApp(tokenSource: .direct) { app in
            try await app.fill(5)
            let callsBefore = app.simulator.simulator.stats.namespaces["NS1"]?.calls["issue"] ?? 0
            for customer in ["a", "b"] {
                let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "\#(customer)"}"#)
                #expect(try created.decodeCard().tokenSource == "tome")
            }
            #expect(app.simulator.simulator.stats.namespaces["NS1"]?.calls["issue"] == callsBefore + 2)
            #expect(try await app.database.query("SELECT 1 FROM token_pool").collect().count == 5)
        }
    }

    @Test func anEmptyPoolAndTOMEDownIsA503NotA500() async throws {
        try await withCardApp { app in
            try app.takeTOMEDown()
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-1"}"#)
            #expect(created.status == .serviceUnavailable)
            #expect(created.headers[.retryAfter] != nil)
            let error = try created.decode(ErrorBody.self).error
            #expect(error.code == "unavailable")
            // TOME failed, not the database: the answer says so.
            #expect(error.message.contains("TOME"), "\(error.message)")
            #expect(!error.message.contains("database"), "\(error.message)")
        }
    }

    @Test func idempotencyKeyReturnsTheSameCardAndRefusesAnotherBody() async throws {
        try await withCardApp { app in
            try await app.fill(3)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "order-7"]
            let first = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-7"}"#, headers: key)
            let again = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-7"}"#, headers: key)
            #expect(first.status == .created)
            #expect(again.status == .ok)
            #expect(try first.decodeCard().cardId == again.decodeCard().cardId)
            let other = try await app.send(.post, "/v1/cards", json: #"{"customerId": "cust-8"}"#, headers: key)
            #expect(other.status == .unprocessableContent)
            #expect(try other.decode(ErrorBody.self).error.code == "idempotency_key_reused")
            #expect(try await app.database.query("SELECT 1 FROM card").collect().count == 1)
        }
    }

    @Test func concurrentRetriesWithOneKeyMakeOneCard() async throws {
        try await withCardApp { app in
            try await app.fill(20)
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "same"]
            let statuses = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c"}"#, headers: key)
                        return (Int(response.status.code), try response.decodeCard().cardId)
                    }
                }
                var all: [(Int, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(Set(statuses.map(\.1)).count == 1)
            #expect(statuses.filter { $0.0 == 201 }.count == 1)
            // The losers' reservations were rolled back: only one pair left the pool.
            #expect(try await app.database.query("SELECT 1 FROM token_pool").collect().count == 19)
        }
    }

    @Test(arguments: [nil, "wrong-token-0123456789", ""])
    func everyV1RouteNeedsTheBearerToken(token: String?) async throws {
        try await withCardApp { app in
            for (method, uri, json) in [
                (HTTPRequest.Method.post, "/v1/cards", #"{"customerId": "x"}"#), (.get, "/v1/cards/card_1", nil),
                (.post, "/v1/detokenize", #"{"ns2Token": "x"}"#),
            ] {
                let response = try await app.send(method, uri, json: json, token: token)
                #expect(response.status == .unauthorized, "\(method) \(uri)")
                #expect(response.headers[.wwwAuthenticate] == "Bearer")
                #expect(try response.decode(ErrorBody.self).error.code == "unauthorized")
            }
        }
    }

    @Test(arguments: [
        ("{\"customerId\": ", "invalid_request"),
        ("{\"customerId\": \"a\",}", "invalid_request"),
        ("[]", "invalid_request"),
        ("{}", "invalid_request"),
        ("{\"customerId\": 42}", "invalid_request"),
        ("{\"customerId\": \"\"}", "invalid_request"),
        ("{\"customerId\": \"a b\"}", "invalid_request"),
        ("{\"customerId\": \"x'; DROP TABLE card; --\"}", "invalid_request"),
        ("{\"customerId\": \"\u{202E}evil\"}", "invalid_request"),
        ("{\"customerId\": \"" + String(repeating: "a", count: 65) + "\"}", "invalid_request"),
        ("{\"customerId\": \"ok\", \"pan\": \"4111111111111111\"}", "invalid_request"),
    ])
    func badCardRequestsAre400WithAReason(json: String, code: String) async throws {
        try await withCardApp { app in
            let response = try await app.send(.post, "/v1/cards", json: json)
            #expect(response.status == .badRequest, "\(json)")
            let error = try response.decode(ErrorBody.self)
            #expect(error.error.code == code)
            #expect(!error.error.message.isEmpty)
            #expect(!response.text.contains("4111111111111111"))
            #expect(try await app.database.query("SELECT 1 FROM card").collect().count == 0)
        }
    }

    @Test func hugeBodiesAre413() async throws {
        try await withCardApp { app in
            let huge = "{\"customerId\": \"" + String(repeating: "a", count: 100_000) + "\"}"
            let response = try await app.send(.post, "/v1/cards", json: huge)
            #expect(response.status == .contentTooLarge)
            #expect(try response.decode(ErrorBody.self).error.code == "body_too_large")
        }
    }

    @Test func detokenizeValidatesAndAnswers404ForUnknownReferences() async throws {
        try await withCardApp { app in
            let unknown = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "ns2_nobody"}"#)
            let empty = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": ""}"#)
            let misnamed = try await app.send(.post, "/v1/detokenize", json: #"{"token": "x"}"#)
            let missingCard = try await app.send(.get, "/v1/cards/card_missing")
            #expect(unknown.status == .notFound)
            #expect(empty.status == .badRequest)
            #expect(misnamed.status == .badRequest)
            #expect(missingCard.status == .notFound)
        }
    }

    @Test func healthAndMetrics() async throws {
        try await withCardApp { app in
            try await app.fill(2)
            _ = try await app.send(.post, "/v1/cards", json: #"{"customerId": "m"}"#)
            #expect(try await app.send(.get, "/health/live", token: nil).status == .ok)
            #expect(try await app.send(.get, "/health/ready", token: nil).text.contains("ready"))
            let metrics = try await app.send(.get, "/metrics", token: nil)
            #expect(metrics.status == .ok)
            for name in ["tome_pool_reservations", "tome_pool_available_pairs", "http_server_request_duration"] {
                #expect(metrics.text.contains(name), "\(name) missing")
            }
            #expect(!metrics.text.contains("ns1_"))
            #expect(try await app.send(.get, "/nowhere", token: nil).status == .notFound)
        }
    }
}
