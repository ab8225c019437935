import Foundation
import Testing

/// card-app holds DATABASE_URL to the same TLS floor as the job: the real binary refuses to
/// start with a database beyond loopback whose URL names no sslmode.
@Suite("card-app's TLS floor")
struct CardAppTLSFloorTests {
    @Test func aRemoteDatabaseWithoutSSLModeStopsTheStartNamingTheFix() async throws {
        let binary = try launchCardApp([
            "DATABASE_URL": "postgres://cards:hunter2@db.cards.internal:5432/cards",
            "CARD_APP_TOKEN": "local-token-0123456789",
            "TOME_URL": "http://127.0.0.1:1",
        ])
        let status = await binary.waitForExit(timeout: .seconds(30))
        let logs = binary.logLines.joined(separator: "\n")
        await binary.stop()
        #expect(status == 2, "\(logs)")
        #expect(logs.contains("DATABASE_URL") && logs.contains("sslmode=verify-full") && logs.contains("sslrootcert"), "\(logs)")
        #expect(!logs.contains("hunter2"))
    }
}

/// The clients document as an environment value (CARD_APP_CLIENTS), as ECS injects a secret:
/// one source of clients at a time, and a bad document stops the start naming what is wrong.
@Suite("card-app's clients from the environment")
struct CardAppClientsSettingTests {
    func start(_ extra: [String: String]) async throws -> (status: Int32?, logs: String) {
        let binary = try launchCardApp(
            ["DATABASE_URL": "postgres://cards:pw@127.0.0.1:1/cards", "TOME_URL": "http://127.0.0.1:1"].merging(extra) { $1 }
        )
        let status = await binary.waitForExit(timeout: .seconds(30))
        let logs = binary.logLines.joined(separator: "\n")
        await binary.stop()
        return (status, logs)
    }

    @Test func twoSourcesOfClientsAreRefusedNamingBoth() async throws {
        let (status, logs) = try await start(["CARD_APP_CLIENTS": #"{"clients": []}"#, "CARD_APP_TOKEN": "local-token-0123456789"])
        #expect(status == 2, "\(logs)")
        #expect(logs.contains("CARD_APP_CLIENTS and CARD_APP_TOKEN"), "\(logs)")
    }

    @Test func aBadDocumentStopsTheStartNamingTheProblem() async throws {
        let document = #"{"clients": [{"id": "issuing", "keySha256": ["abc"], "scopes": ["cards:create"]}]}"#
        let (status, logs) = try await start(["CARD_APP_CLIENTS": document])
        #expect(status == 2, "\(logs)")
        #expect(logs.contains("keySha256[0] must be 64 lowercase hexadecimal characters"), "\(logs)")
    }
}
