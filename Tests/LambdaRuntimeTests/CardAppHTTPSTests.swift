import Foundation
import TestSupport
import Testing

/// card-app serving HTTPS itself (load balancer to task encryption): the real binary with a
/// certificate from a throwaway CA answers over TLS 1.2 or newer, and refuses TLS 1.1 and plain HTTP.
@Suite("card-app over HTTPS")
struct CardAppHTTPSTests {
    @Test func aCertificateAndKeyMakeItServeHTTPSOnlyWithTLS12OrNewer() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tome-pool-https-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(to: folder.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await run(["openssl", "req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=card-app test CA"], in: folder)
        try await run(["openssl", "req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], in: folder)
        try await run(
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
             "-days", "1", "-extfile", "server.ext"], in: folder)

        let binary = try launchCardApp([
            "DATABASE_URL": try Self.databaseURL(),
            "CARD_APP_TOKEN": "local-token-0123456789",
            "TOME_URL": "http://127.0.0.1:1",
            "CARD_APP_TLS_CERT_FILE": folder.appendingPathComponent("server.pem").path,
            "CARD_APP_TLS_KEY_FILE": folder.appendingPathComponent("server.key").path,
        ])
        let base = try #require(await binary.printedURL(), "card-app printed no URL: \(binary.logLines.suffix(5))")
        #expect(base.hasPrefix("https://"))
        let ca = folder.appendingPathComponent("ca.pem").path
        let modern = try await curl(["-sf", "--cacert", ca, "--tlsv1.2", "\(base)/health/live"], in: folder)
        // openssl at security level 0 still speaks TLS 1.1, so a refusal is the server's.
        let address = base.replacingOccurrences(of: "https://", with: "")
        let handshake: [String] = ["openssl", "s_client", "-connect", address, "-cipher", "DEFAULT@SECLEVEL=0"]
        let old = try await runCommand(handshake + ["-tls1_1"], in: folder)
        let current = try await runCommand(handshake + ["-tls1_2"], in: folder)
        let plain = try await curl(["-s", base.replacingOccurrences(of: "https://", with: "http://") + "/health/live"], in: folder)
        await binary.stop()
        #expect(modern.status == 0 && modern.output.contains("live"), "\(modern)")
        #expect(old.status != 0, "TLS 1.1 was accepted: \(old)")
        #expect(current.status == 0, "TLS 1.2 was refused: \(current)")
        #expect(plain.status != 0 || !plain.output.contains("live"), "plain HTTP was answered: \(plain)")
    }

    /// The tests' database as DATABASE_URL says it (card-app checks it answers before it serves).
    static func databaseURL() throws -> String {
        _ = try TestDatabase.baseConfiguration()
        return ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
    }

    private func run(_ arguments: [String], in folder: URL) async throws {
        let result = try await runCommand(arguments, in: folder)
        guard result.status == 0 else { throw HarnessFailure("\(arguments.prefix(2).joined(separator: " ")) failed: \(result.output)") }
    }

    private func curl(_ arguments: [String], in folder: URL) async throws -> (status: Int32, output: String) {
        try await runCommand(["curl"] + arguments, in: folder)
    }
}
