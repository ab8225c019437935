import Foundation
import PoolDatabase
import PrefetchJob
import ProcessConfiguration
import Testing

/// A database beyond this machine is never reached without TLS because a URL said nothing:
/// DATABASE_URL must name its sslmode, and a URL secret is held to DATABASE_SSLMODE.
@Suite("TLS floor")
struct TLSFloorTests {
    static let remote = "postgres://cards:hunter2@db.cards.internal:5432/cards"

    @Test func aServiceURLBeyondLoopbackMustNameItsSSLMode() throws {
        let error = #expect(throws: DatabaseURLError.self) { try DatabaseConfiguration(serviceURL: Self.remote) }
        let text = error?.description ?? ""
        #expect(text.contains("db.cards.internal"))
        #expect(text.contains("sslmode=verify-full") && text.contains("sslrootcert"))
        #expect(!text.contains("hunter2"))

        #expect(try DatabaseConfiguration(serviceURL: "\(Self.remote)?sslmode=require").tls == .require)
        // Named on purpose, a weak mode is the caller's choice.
        #expect(try DatabaseConfiguration(serviceURL: "\(Self.remote)?sslmode=disable").tls == .disable)
        // Loopback keeps libpq's default.
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            #expect(try DatabaseConfiguration(serviceURL: "postgres://u:p@\(host):5432/pool").tls == .prefer)
        }
    }

    @Test func theJobRefusesARemoteDatabaseURLWithoutSSLMode() {
        let error = #expect(throws: ConfigurationError.self) {
            try RefillJob.Configuration(environment: ["DATABASE_URL": Self.remote, "TOME_URL": "https://tome.internal"])
        }
        let text = error?.description ?? ""
        #expect(text.contains("DATABASE_URL") && text.contains("sslmode=verify-full"))
        #expect(!text.contains("hunter2"))
    }

    @Test func aSecretURLWithoutSSLModeIsRaisedToTheFloorWithItsRootCertificate() throws {
        let authority = try DatabaseTLSTests.authorityFile()
        let floor = DatabaseConfiguration.SecretDefaults(tls: .verifyFull, rootCertificateFile: authority)
        let raised = try DatabaseConfiguration(secret: Self.remote, defaults: floor)
        #expect(raised.tls == .verifyFull)
        #expect(raised.rootCertificateFile == authority)

        // A secret that names its own authority (here the system store) keeps it.
        let own = try DatabaseConfiguration(secret: "\(Self.remote)?sslmode=verify-full&sslrootcert=system", defaults: floor)
        #expect(own.tls == .verifyFull && own.rootCertificateFile == nil)

        // Stronger than the floor is kept; require needs no authority.
        let stronger = try DatabaseConfiguration(secret: "\(Self.remote)?sslmode=verify-ca", defaults: .init(tls: .require))
        #expect(stronger.tls == .verifyCA)
        let plain = try DatabaseConfiguration(secret: Self.remote, defaults: .init(tls: .require))
        #expect(plain.tls == .require && plain.rootCertificateFile == nil)
    }

    @Test(arguments: ["disable", "prefer", "require", "verify-ca"])
    func aSecretURLWeakerThanTheFloorIsRefusedNamingBoth(mode: String) throws {
        let floor = DatabaseConfiguration.SecretDefaults(tls: .verifyFull, rootCertificateFile: try DatabaseTLSTests.authorityFile())
        let error = #expect(throws: DatabaseURLError.self) {
            try DatabaseConfiguration(secret: "\(Self.remote)?sslmode=\(mode)", defaults: floor)
        }
        let text = error?.description ?? ""
        #expect(text.contains("sslmode=\(mode)") && text.contains("DATABASE_SSLMODE=verify-full"), "\(text)")
        #expect(!text.contains("hunter2"))
    }

    @Test func aLoopbackSecretURLKeepsWhatItSays() throws {
        let floor = DatabaseConfiguration.SecretDefaults(tls: .verifyFull)
        #expect(try DatabaseConfiguration(secret: "postgres://u:p@127.0.0.1:5432/pool", defaults: floor).tls == .prefer)
        #expect(try DatabaseConfiguration(secret: "postgres://u:p@localhost:5432/pool?sslmode=disable", defaults: floor).tls == .disable)
    }
}
