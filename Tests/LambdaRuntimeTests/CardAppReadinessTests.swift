import Foundation
import PostgresNIO
import TestSupport
import Testing

/// A rotated database password on a running card-app: readiness fails, so the load balancer stops
/// sending, and the log says the password was refused rather than that the database is down.
@Suite("card-app readiness after a password rotation")
struct CardAppReadinessTests {
    @Test func aRefusedPasswordFailsReadinessAndTheLogSaysSo() async throws {
        try await TestDatabase.withIsolatedSchema { configuration, database in
            let role = try await TestLoginRole.create(prefix: "ready", password: "first-password-1", on: database)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tome-pool-ready-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let binary = try launchCardApp([
                "DATABASE_URL": "postgres://\(role.role):first-password-1@\(configuration.host):\(configuration.port)/\(configuration.database)?sslmode=disable",
                "CARD_APP_TOKEN": "local-token-0123456789",
                "TOME_URL": "http://127.0.0.1:1",
                "LOG_FORMAT": "json",
            ])
            do {
                let base = try #require(await binary.printedURL(), "card-app printed no URL: \(binary.logLines.suffix(5))")
                let status = { () async throws -> String in
                    try await runCommand(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/health/ready"], in: folder).output
                }
                #expect(try await status() == "200")

                // The secret is rotated; the task still holds the old password, and its sessions end.
                try await database.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role.role) PASSWORD 'second-password-2'"))
                try await database.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(role.role)'"))
                var answer = ""
                for _ in 0..<60 where answer != "503" {
                    try await Task.sleep(for: .milliseconds(500))
                    answer = try await status()
                }
                #expect(answer == "503", "readiness still answers \(answer) with the password refused")
                let logs = binary.logLines.joined(separator: "\n")
                #expect(logs.contains("the database refused the password"), "\(logs.suffix(800))")
                #expect(!logs.contains("first-password-1") && !logs.contains("second-password-2"))
            } catch {
                await binary.stop()
                try await role.drop(on: database)
                throw error
            }
            await binary.stop()
            try await role.drop(on: database)
        }
    }
}
