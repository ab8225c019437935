import Foundation
import Testing
import TOMEClient
import TOMESimulator

/// TLS and mutual TLS from PEM files, against the simulator serving HTTPS with certificates
/// made for the test by `openssl` (which `scripts/test` installs).
@Suite("TLS and mutual TLS")
struct TLSTests {
    @Test func theClientTrustsTheConfiguredCAAndSpeaksHTTPS() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let tls = SimulatedTOME.TLSFiles(certificateFile: pki.path("server.pem"), privateKeyFile: pki.path("server.key"))
        try await SimulatedTOME.withRunning(configuration: .init(tls: tls)) { running in
            #expect(running.url.hasPrefix("https://127.0.0.1:"))
            let configuration = HTTPTOMEClient.Configuration(baseURL: running.url, tls: .init(caFile: pki.path("ca.pem")), retry: .none)
            let tokens = try await HTTPTOMEClient.withClient(configuration: configuration) { client in
                try await client.issueTokens(namespace: "NS1", count: 3, requestId: "tls")
            }
            #expect(tokens.count == 3)
        }
    }

    @Test func anUntrustedServerIsATLSErrorNotRetried() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let tls = SimulatedTOME.TLSFiles(certificateFile: pki.path("server.pem"), privateKeyFile: pki.path("server.key"))
        try await SimulatedTOME.withRunning(configuration: .init(tls: tls)) { running in
            // The system trust store does not know the test CA.
            let configuration = HTTPTOMEClient.Configuration(baseURL: running.url, retry: quickRetry)
            let error = await #expect(throws: TOMEError.self) {
                try await HTTPTOMEClient.withClient(configuration: configuration) { client in
                    try await client.namespaceInfo(namespace: "NS1")
                }
            }
            #expect(error?.kind == .tls)
            #expect(error?.isRetryable == false)
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["info"] == 0)
        }
    }

    @Test func mutualTLSNeedsTheClientCertificate() async throws {
        let pki = try await TestPKI()
        defer { pki.remove() }
        let tls = SimulatedTOME.TLSFiles(
            certificateFile: pki.path("server.pem"), privateKeyFile: pki.path("server.key"), clientCAFile: pki.path("ca.pem")
        )
        try await SimulatedTOME.withRunning(configuration: .init(tls: tls)) { running in
            let withCertificate = HTTPTOMEClient.Configuration(
                baseURL: running.url,
                tls: .init(caFile: pki.path("ca.pem"), certificateFile: pki.path("client.pem"), privateKeyFile: pki.path("client.key")),
                retry: .none
            )
            let info = try await HTTPTOMEClient.withClient(configuration: withCertificate) { client in
                try await client.namespaceInfo(namespace: "NS2")
            }
            #expect(info.name == "NS2")

            let withoutCertificate = HTTPTOMEClient.Configuration(baseURL: running.url, tls: .init(caFile: pki.path("ca.pem")), retry: .none)
            let error = await #expect(throws: TOMEError.self) {
                try await HTTPTOMEClient.withClient(configuration: withoutCertificate) { client in
                    try await client.namespaceInfo(namespace: "NS2")
                }
            }
            // The server refuses the handshake; depending on timing the client sees a TLS alert or a closed connection.
            #expect(error?.kind == .tls || error?.kind == .transport)
            #expect(running.simulator.stats.namespaces["NS2"]?.calls["info"] == 1)
        }
    }
}

/// A throwaway CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct TestPKI: Sendable {
    let directory: URL

    init() async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tome-pki-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try await makeCertificates()
        } catch {
            remove()
            throw error
        }
    }

    private func makeCertificates() async throws {
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=tome-pool test CA"])
        try "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(to: directory.appendingPathComponent("server.ext"), atomically: true, encoding: .utf8)
        try "extendedKeyUsage=clientAuth\n".write(to: directory.appendingPathComponent("client.ext"), atomically: true, encoding: .utf8)
        for name in ["server", "client"] {
            try await openssl(["req"] + ec + ["-keyout", "\(name).key", "-out", "\(name).csr", "-subj", "/CN=\(name == "server" ? "127.0.0.1" : "tome-pool test client")"])
            try await openssl([
                "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "\(name).pem", "-days", "1", "-extfile", "\(name).ext",
            ])
        }
    }

    func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    /// Removes the folder, keys included: a test leaves nothing in the temporary folder.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func openssl(_ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Polled, not waitUntilExit: a blocked thread is half of the two-thread cooperative pool,
        // and with other tests doing the same the exit may find no thread to deliver it.
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        guard process.terminationStatus == 0 else {
            throw PKIError(description: "openssl \(arguments.prefix(2).joined(separator: " ")) failed; is openssl installed? (scripts/test installs it)")
        }
    }
}

struct PKIError: Error, CustomStringConvertible {
    let description: String
}
