import CardService
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import TOMEClient
import TestSupport
import Testing
import TokenPool

@Suite("card-app audit trail, access log and 405")
struct AuditAndAccessLogTests {
    @Test func everyReadAndDetokenizationIsOnTheRecordWithItsOutcome() async throws {
        try await withCardApp(clientsFile: ClientAccessTests.scopedClients) { app in
            try await app.fill(1)
            let card = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#, token: ClientAccessTests.issuing.key)
                .decodeCard()
            // A reference TOME knows and the database does not: a card made before the pool.
            let elsewhere = try await app.dual.mintPair(requestId: "made-elsewhere")
            let settlement = ClientAccessTests.settlement.key
            let support = ClientAccessTests.support.key
            let calls: [(String, HTTPRequest.Method, String, String?, HTTPResponse.Status)] = [
                (settlement, .post, "/v1/detokenize", #"{"ns2Token": "\#(card.ns2Token)"}"#, .ok),
                (settlement, .post, "/v1/detokenize", #"{"ns2Token": "\#(elsewhere.ns2Token)"}"#, .ok),
                (settlement, .post, "/v1/detokenize", #"{"ns2Token": "ns2_nobody_knows_this"}"#, .notFound),
                (support, .post, "/v1/detokenize", #"{"ns2Token": "\#(card.ns2Token)"}"#, .forbidden),
                (support, .get, "/v1/cards/\(card.cardId)", nil, .ok),
                (support, .get, "/v1/cards/card_missing", nil, .notFound),
                (settlement, .get, "/v1/cards/\(card.cardId)", nil, .forbidden),
            ]
            for (key, method, uri, json, status) in calls {
                #expect(try await app.send(method, uri, json: json, token: key).status == status, "\(method) \(uri)")
            }
            let records = try app.audit.requestRecords()
            let summary = records.map { "\($0["client"] ?? "-") \($0["route"] ?? "-") \($0["outcome"] ?? "-")" }
            #expect(
                summary == [
                    "issuing POST /v1/cards created", "settlement POST /v1/detokenize database", "settlement POST /v1/detokenize tome",
                    "settlement POST /v1/detokenize unknown", "support POST /v1/detokenize denied",
                    "support GET /v1/cards/{cardId} database", "support GET /v1/cards/{cardId} unknown",
                    "settlement GET /v1/cards/{cardId} denied",
                ], "\(summary)")
            #expect(records.allSatisfy { $0["logger"] as? String == "card-app.audit" && $0["time"] is String })
            // Each record ties to the access log's line by its request id.
            let requestIds = Set(try app.accessLog.records().compactMap { $0["requestId"] as? String })
            #expect(records.allSatisfy { ($0["requestId"] as? String).map(requestIds.contains) == true })
            #expect(records.allSatisfy { $0["source"] as? String == "127.0.0.1" })
            // A reference is kept as a keyed fingerprint, the same for the same reference; a read keeps its card id.
            let fingerprints = records[1...2].compactMap { $0["referenceFingerprint"] as? String }
            #expect(fingerprints.count == 2 && fingerprints.allSatisfy { $0.hasPrefix("hmac-sha256:") && $0.count == 28 })
            #expect(records[5]["cardId"] as? String == card.cardId)
            // The creation: who, which card, where its pair came from, the pair as a fingerprint.
            #expect(records[0]["cardId"] as? String == card.cardId && records[0]["tokenSource"] as? String == "pool")
            #expect((records[0]["pairFingerprint"] as? String)?.hasPrefix("hmac-sha256:") == true)
            Self.expectNoSecrets(
                in: app.audit.lines + app.accessLog.lines,
                [try card.createdNS1Token, card.ns2Token, elsewhere.ns1Token, elsewhere.ns2Token, settlement, support, ClientAccessTests.issuing.key])
        }
    }

    /// Invalid access attempts are on the record (PCI DSS 10.2.1.4): a missing key, an unknown
    /// key and a key's hash presented as the key, on every `/v1` route, with no client named
    /// and nothing of the key written.
    @Test func aRefusedKeyIsOnTheRecordWithoutTheKey() async throws {
        try await withCardApp(clientsFile: ClientAccessTests.scopedClients) { app in
            let wrong = "cak_wrong_key_0123456789"
            let hash = ClientAccessTests.settlement.hash
            let calls: [(String?, HTTPRequest.Method, String, String?)] = [
                (nil, .post, "/v1/cards", #"{"customerId": "c-1"}"#),
                (wrong, .get, "/v1/cards/card_1", nil),
                (hash, .post, "/v1/detokenize", #"{"ns2Token": "ns2_some_reference"}"#),
            ]
            for (key, method, uri, json) in calls {
                #expect(try await app.send(method, uri, json: json, token: key).status == .unauthorized, "\(method) \(uri)")
            }
            let records = try app.audit.requestRecords()
            let summary = records.map { "\($0["client"] ?? "-") \($0["route"] ?? "-") \($0["outcome"] ?? "-")" }
            #expect(
                summary == [
                    "- POST /v1/cards unauthenticated", "- GET /v1/cards/{cardId} unauthenticated",
                    "- POST /v1/detokenize unauthenticated",
                ], "\(summary)")
            Self.expectNoSecrets(in: app.audit.lines + app.accessLog.lines, [wrong, hash, "ns2_some_reference"])
        }
    }

    /// A detokenization that could not be answered (a database miss, then TOME down) is still on
    /// the record, as failed, before its 503 leaves.
    @Test func anAttemptThatFailsIsOnTheRecordAsFailed() async throws {
        try await withCardApp { app in
            try app.takeTOMEDown()
            let response = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "ns2_only_tome_knows"}"#)
            #expect(response.status == .serviceUnavailable)
            let records = try app.audit.requestRecords()
            #expect(records.count == 1)
            #expect(records.first?["outcome"] as? String == "failed")
            #expect(records.first?["client"] as? String == "local")
            #expect((records.first?["referenceFingerprint"] as? String)?.hasPrefix("hmac-sha256:") == true)
        }
    }

    @Test func aRecordThatCannotBeWrittenWithholdsTheAnswer() async throws {
        try await withCardApp { app in
            try await app.fill(1)
            let card = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#).decodeCard()
            app.audit.failing = true
            let detokenized = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#)
            #expect(detokenized.status == .serviceUnavailable)
            #expect(!String(buffer: detokenized.body).contains(try card.createdNS1Token))
            let read = try await app.send(.get, "/v1/cards/\(card.cardId)")
            #expect(read.status == .serviceUnavailable)
            #expect(!String(buffer: read.body).contains(try card.createdNS1Token))
        }
    }

    @Test func aWrongMethodOnAKnownPathIs405WithAllow() async throws {
        try await withCardApp { app in
            for (path, methods) in CardApplication.routes {
                let uri = path.replacingOccurrences(of: "{cardId}", with: "card_1")
                let response = try await app.send(.delete, uri)
                #expect(response.status == .methodNotAllowed, "DELETE \(uri)")
                #expect(response.headers[.allow] == methods.map(\.rawValue).joined(separator: ", "), "DELETE \(uri)")
                #expect(try response.decode(ErrorBody.self).error.code == "method_not_allowed")
            }
            #expect(try await app.send(.get, "/v1/nothing-here").status == .notFound)
            #expect(try await app.send(.get, "/v1/cards/a/b").status == .notFound)
        }
    }

    @Test func theRouteTableIsTheRoutersOwn() async throws {
        let table = Set(CardApplication.routes.flatMap { route in route.methods.map { "\($0.rawValue) \(route.path)" } })
        #expect(try await servedRoutes() == table)
    }

    @Test func theAccessLogHasOneLinePerRequestAndNoSecret() async throws {
        try await withCardApp { app in
            try await app.fill(1)
            let card = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#).decodeCard()
            _ = try await app.send(.get, "/v1/cards/\(card.cardId)")
            _ = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#, token: "cak_wrong_key_0123456789")
            _ = try await app.send(.get, "/health/live", token: nil)
            _ = try await app.send(.put, "/v1/detokenize")
            let records = try app.accessLog.records()
            let summary = records.map { "\($0["method"] ?? "-") \($0["route"] ?? "-") \($0["status"] ?? "-") \($0["client"] ?? "-")" }
            #expect(
                summary == [
                    "POST /v1/cards 201 local", "GET /v1/cards/{cardId} 200 local", "POST /v1/detokenize 401 -", "GET /health/live 200 -",
                    "PUT unmatched 405 -",
                ], "\(summary)")
            #expect(records.allSatisfy { ($0["requestId"] as? String)?.isEmpty == false && $0["durationMs"] is Double })
            // The shape of card-app's other JSON log lines on the same stream.
            #expect(records.allSatisfy { $0["level"] as? String == "INFO" && $0["timestamp"] is String && $0["logger"] as? String == "card-app.access" })
            Self.expectNoSecrets(in: app.accessLog.lines, [try card.createdNS1Token, card.ns2Token, card.cardId, testToken, "cak_wrong_key_0123456789"])
        }
    }

    static func expectNoSecrets(in lines: [String], _ secrets: [String]) {
        for secret in secrets {
            #expect(!lines.contains { $0.contains(secret) }, "a line holds \(secret.prefix(6))…")
        }
    }
}
