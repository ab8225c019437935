import Foundation
import Testing

/// card-app holds DATABASE_URL to the same TLS floor as the job: the real binary refuses to
/// start with a database beyond loopback whose URL names no sslmode.
@Suite("card-app's TLS floor")
struct CardAppTLSFloorTests {
    @Test func aRemoteDatabaseWithoutSSLModeStopsTheStartNamingTheFix() async throws {
        let binary = try RunningBinary(
            executable: builtProduct("card-app"),
            environment: [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
                "DATABASE_URL": "postgres://cards:hunter2@db.cards.internal:5432/cards",
                "CARD_APP_TOKEN": "local-token-0123456789",
                "TOME_URL": "http://127.0.0.1:1",
            ],
            arguments: ["--port", "0"]
        )
        let status = await binary.waitForExit(timeout: .seconds(30))
        let logs = binary.logLines.joined(separator: "\n")
        await binary.stop()
        #expect(status == 2, "\(logs)")
        #expect(logs.contains("DATABASE_URL") && logs.contains("sslmode=verify-full") && logs.contains("sslrootcert"), "\(logs)")
        #expect(!logs.contains("hunter2"))
    }
}
