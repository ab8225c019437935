import Foundation
import PoolDatabase
import PostgresNIO
import Testing
import TestSupport

/// sslmode as libpq users expect it, against the local PostgreSQL with TLS on (scripts/postgres
/// makes a CA and a server certificate naming `localhost` only).
@Suite("TLS to the database")
struct DatabaseTLSTests {
    /// The CA that signed the test server's certificate; the test fails when it is not set.
    static func authorityFile() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["TEST_DATABASE_CA_FILE"], FileManager.default.fileExists(atPath: path) else {
            throw HarnessError("TEST_DATABASE_CA_FILE is not set or missing: run the tests with scripts/test, or eval \"$(scripts/postgres start)\"")
        }
        return path
    }

    static func configuration(host: String = "127.0.0.1", _ mode: DatabaseConfiguration.TLSMode, rootCertificateFile: String? = nil) throws -> DatabaseConfiguration {
        var configuration = try TestDatabase.baseConfiguration()
        configuration.host = host
        configuration.tls = mode
        configuration.rootCertificateFile = rootCertificateFile
        return configuration
    }

    /// Connects through the start-up probe and the pool, and asks the server whether TLS is in use.
    static func connectionUsesTLS(_ configuration: DatabaseConfiguration) async throws -> Bool {
        try await DatabaseProbe.check(configuration, logger: TestDatabase.quietLogger)
        return try await PostgresClient.withClient(configuration, logger: TestDatabase.quietLogger) { client in
            let rows = try await client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            for try await ssl in rows.decode(Bool.self) { return ssl }
            return false
        }
    }

    @Test func requireEncryptsWithoutAnyAuthority() async throws {
        #expect(try await Self.connectionUsesTLS(Self.configuration(.require)))
    }

    @Test func requireWithAnAuthorityChecksTheChainAsLibpqDoes() async throws {
        #expect(try await Self.connectionUsesTLS(Self.configuration(.require, rootCertificateFile: Self.authorityFile())))
        try await withOtherAuthority { otherAuthority in
            let configuration = try Self.configuration(.require, rootCertificateFile: otherAuthority)
            await #expect(throws: DatabaseError.self) { try await DatabaseProbe.check(configuration, logger: TestDatabase.quietLogger) }
        }
    }

    @Test func verifyFullWithTheRightAuthorityAndHostConnects() async throws {
        let configuration = try Self.configuration(host: "localhost", .verifyFull, rootCertificateFile: Self.authorityFile())
        #expect(try await Self.connectionUsesTLS(configuration))
    }

    @Test func verifyCAChecksTheChainButNotTheHost() async throws {
        let configuration = try Self.configuration(host: "127.0.0.1", .verifyCA, rootCertificateFile: Self.authorityFile())
        #expect(try await Self.connectionUsesTLS(configuration))
    }

    @Test func verifyFullRefusesAHostTheCertificateDoesNotName() async throws {
        let configuration = try Self.configuration(host: "127.0.0.1", .verifyFull, rootCertificateFile: Self.authorityFile())
        let error = await #expect(throws: DatabaseError.self) { try await DatabaseProbe.check(configuration, logger: TestDatabase.quietLogger) }
        #expect(error?.description.contains("TLS to the database failed") == true)
        #expect(error?.description.contains("does not name this host") == true)
        #expect(error?.description.contains("tome_pool_local") == false)
    }

    @Test(arguments: [DatabaseConfiguration.TLSMode.verifyFull, .verifyCA])
    func anAuthorityThatDidNotSignTheCertificateIsRefused(mode: DatabaseConfiguration.TLSMode) async throws {
        try await withOtherAuthority { otherAuthority in
            let configuration = try Self.configuration(host: "localhost", mode, rootCertificateFile: otherAuthority)
            let error = await #expect(throws: DatabaseError.self) { try await DatabaseProbe.check(configuration, logger: TestDatabase.quietLogger) }
            #expect(error?.description.contains("TLS to the database failed") == true)
            #expect(error?.description.contains("not trusted") == true)
        }
    }

    @Test func theSystemStoreDoesNotTrustAPrivateAuthority() async throws {
        let configuration = try Self.configuration(host: "localhost", .verifyFull)
        let error = await #expect(throws: DatabaseError.self) { try await DatabaseProbe.check(configuration, logger: TestDatabase.quietLogger) }
        #expect(error?.description.contains("TLS to the database failed") == true)
    }

    @Test func urlsSayTheModeAndTheAuthorityAsLibpqDoes() throws {
        let authority = try Self.authorityFile()
        let base = "postgres://u:p@db.internal:5432/pool"
        #expect(try DatabaseConfiguration(url: "\(base)?sslmode=require").tls == .require)
        let full = try DatabaseConfiguration(url: "\(base)?sslmode=verify-full&sslrootcert=\(authority)")
        #expect(full.tls == .verifyFull && full.rootCertificateFile == authority)
        let system = try DatabaseConfiguration(url: "\(base)?sslmode=verify-ca&sslrootcert=system")
        #expect(system.tls == .verifyCA && system.rootCertificateFile == nil)

        let unknown = #expect(throws: DatabaseURLError.self) { try DatabaseConfiguration(url: "\(base)?sslmode=strict") }
        #expect(unknown?.description.contains("verify-full") == true)
        let missing = #expect(throws: DatabaseURLError.self) {
            try DatabaseConfiguration(url: "\(base)?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
        }
        #expect(missing?.description.contains("/nonexistent/ca.pem") == true)
        let unused = #expect(throws: DatabaseURLError.self) { try DatabaseConfiguration(url: "\(base)?sslmode=prefer&sslrootcert=\(authority)") }
        #expect(unused?.description.contains("require, verify-ca or verify-full") == true)
    }

    /// A second, unrelated CA made with openssl, in a temporary folder removed afterwards.
    private func withOtherAuthority(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tome-pool-other-ca-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=another CA",
            "-keyout", folder.appendingPathComponent("ca.key").path, "-out", folder.appendingPathComponent("ca.pem").path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Polled, not waitUntilExit: blocking a thread of the two-thread cooperative pool while
        // other tests do the same can leave nothing to deliver the exit.
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        guard process.terminationStatus == 0 else { throw HarnessError("openssl could not make a CA (is openssl installed?)") }
        try await body(folder.appendingPathComponent("ca.pem").path)
    }
}
