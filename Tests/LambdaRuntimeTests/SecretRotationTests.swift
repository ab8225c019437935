import Foundation
import LambdaRuntimeEmulator
import PoolDatabase
import PostgresNIO
import Testing
import TestSupport

/// Secrets read at run time through an emulated Parameters and Secrets extension, and a database
/// password rotated between invocations.
@Suite("Secrets at run time")
struct SecretRotationTests {
    static let databaseSecretArn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tome-pool/database-AbCdEf"
    static let tokenParameter = "/tome-pool/tome-token"

    /// A login role of the test's own, whose password the test can rotate without disturbing others.
    struct Login {
        let role: TestLoginRole
        let configuration: DatabaseConfiguration

        /// The JSON that RDS and its rotation functions keep.
        func secret(password: String) -> String {
            #"{"username": "\#(role.role)", "password": "\#(password)", "engine": "postgres", "host": "\#(configuration.host)", "port": \#(configuration.port), "dbname": "\#(configuration.database)", "dbInstanceIdentifier": "tome-pool"}"#
        }
    }

    static func makeLogin(_ harness: LambdaHarness, password: String) async throws -> Login {
        let role = try await TestLoginRole.create(prefix: "rotation", password: password, on: harness.database)
        return Login(role: role, configuration: try TestDatabase.baseConfiguration())
    }

    /// A login whose password is `password`, the extension serving `storedPassword` for it and
    /// `token` for TOME, and the binary launched reading both through the extension. The role is
    /// dropped when `body` has passed.
    static func withBinaryOnSecrets(
        _ harness: LambdaHarness, password: String, storedPassword: String, token: String,
        _ body: @Sendable (Login, SecretsExtensionEmulator, RunningBinary) async throws -> Void
    ) async throws {
        let login = try await makeLogin(harness, password: password)
        let secrets = SecretsExtensionEmulator()
        secrets.set(login.secret(password: storedPassword), for: databaseSecretArn)
        secrets.set(token, for: tokenParameter)
        try await secrets.withServer { port in
            let binary = try harness.launch(environment(port: port, token: secrets.sessionToken), removing: ["DATABASE_URL"])
            try await body(login, secrets, binary)
        }
        try await login.role.drop(on: harness.database)
    }

    static func environment(port: Int, token: String) -> [String: String] {
        [
            "DATABASE_URL_SECRET_ARN": databaseSecretArn,
            "DATABASE_SSLMODE": "disable",
            "TOME_AUTH_TOKEN_SECRET": tokenParameter,
            "AWS_SESSION_TOKEN": token,
            "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "\(port)",
        ]
    }

    @Test func secretsAreReadAtStartUpAndARotatedPasswordIsPickedUpWithoutARestart() async throws {
        try await withLambdaHarness(simulator: .init(authToken: "tome-token-from-ssm")) { harness in
            try await Self.withBinaryOnSecrets(harness, password: "first-password-1", storedPassword: "first-password-1", token: "tome-token-from-ssm") {
                login, secrets, binary in
                let refill = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300}"#))
                #expect(refill.isResponse(containing: "\"pairsInserted\":300"), "\(refill) \(binary.logLines.suffix(5))")

                // RDS rotates the password; the sessions the job holds end (as a restart or failover would).
                secrets.set(login.secret(password: "second-password-2"), for: Self.databaseSecretArn)
                try await harness.database.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(login.role.role) PASSWORD 'second-password-2'"))
                try await harness.database.query(PostgresQuery(unsafeSQL: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\(login.role.role)'"))

                let status = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "status"}"#))
                #expect(status.isResponse(containing: "\"available\":300"), "\(status) \(binary.logLines.suffix(5))")
                #expect(secrets.readCount(of: Self.databaseSecretArn) == 2)
                let again = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "status"}"#))
                #expect(again.isResponse(containing: "\"available\":300"))
                #expect(secrets.readCount(of: Self.databaseSecretArn) == 2)
                #expect(secrets.readCount(of: Self.tokenParameter) == 1)
                let logs = binary.logLines.joined(separator: "\n")
                await binary.stop()

                #expect(logs.contains("reconnecting"))
                for secret in ["first-password-1", "second-password-2", "tome-token-from-ssm", secrets.sessionToken] {
                    #expect(!logs.contains(secret), "a log line holds a secret")
                }
            }
        }
    }

    /// TOME's token rotated: a 401 reads the token's secret once more. While the extension still
    /// serves the old value the run fails saying so; once it serves the new one the same event is
    /// answered on a job with the new token, which the next events keep.
    @Test func aTokenTOMERefusesIsReadAgainAndARotatedOneIsUsedWithoutARestart() async throws {
        try await withLambdaHarness(simulator: .init(authToken: "second-tome-token")) { harness in
            let secrets = SecretsExtensionEmulator()
            secrets.set("first-tome-token", for: Self.tokenParameter)
            try await secrets.withServer { port in
                var environment = Self.environment(port: port, token: secrets.sessionToken)
                environment["DATABASE_URL_SECRET_ARN"] = nil
                environment["DATABASE_SSLMODE"] = nil
                let binary = try harness.launch(environment)

                // The rotation has not reached the extension yet: the run fails, naming the refusal.
                let refused = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300}"#))
                guard case .error(let errorType, _, let body) = refused else {
                    Issue.record("a refused token answered \(refused)")
                    return
                }
                #expect(errorType == "TOMECredentialsRefused", "\(body)")
                #expect(secrets.readCount(of: Self.tokenParameter) == 2)
                #expect(binary.logLines.contains { $0.contains("TOME refused our token") && $0.contains("unchanged") })

                // The extension serves the new token: the next event is answered with it.
                secrets.set("second-tome-token", for: Self.tokenParameter)
                let refill = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300}"#))
                #expect(refill.isResponse(containing: "\"pairsInserted\":300"), "\(refill) \(binary.logLines.suffix(5))")
                #expect(secrets.readCount(of: Self.tokenParameter) == 3)
                let again = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 400}"#))
                #expect(again.isResponse(containing: "\"pairsInserted\":100"), "\(again)")
                #expect(secrets.readCount(of: Self.tokenParameter) == 3)
                let logs = binary.logLines.joined(separator: "\n")
                await binary.stop()

                #expect(logs.contains("the TOME token's secret has changed"))
                for secret in ["first-tome-token", "second-tome-token", secrets.sessionToken] {
                    #expect(!logs.contains(secret), "a log line holds a secret")
                }
            }
        }
    }

    /// The start-up probe's refused password is read once more, as it may be a rotation this
    /// environment has not seen; unchanged, start-up fails naming the database, not the password.
    @Test func aPasswordRefusedAtStartUpIsReadOnceMoreThenAnInitError() async throws {
        try await withLambdaHarness { harness in
            try await Self.withBinaryOnSecrets(harness, password: "the-real-password-1", storedPassword: "a-stale-password-2", token: "token") {
                _, secrets, binary in
                let (errorType, body) = try await harness.initError(of: binary)
                #expect(errorType == "Runtime.DatabaseUnavailable", "\(body)")
                #expect(secrets.readCount(of: Self.databaseSecretArn) == 2)
                #expect(harness.emulator.polls.count == 0)
                let logs = binary.logLines.joined(separator: "\n")
                await binary.stop()
                #expect(logs.contains("the database refused the password and the database secret is unchanged"))
                for secret in ["the-real-password-1", "a-stale-password-2"] {
                    #expect(!logs.contains(secret) && !body.contains(secret), "a secret in the logs or the init error")
                }
            }
        }
    }

    @Test func anUnreadableSecretIsAnInitErrorNamingTheSecretNotItsValue() async throws {
        try await withLambdaHarness { harness in
            let secrets = SecretsExtensionEmulator()
            secrets.set("not a url and not json: hunter2", for: Self.databaseSecretArn)
            try await secrets.withServer { port in
                // The TOME token parameter does not exist: the extension answers 400.
                let missing = try harness.launch(Self.environment(port: port, token: secrets.sessionToken), removing: ["DATABASE_URL"])
                let (errorType, body) = try await harness.initError(of: missing)
                #expect(errorType == "Runtime.SecretUnavailable")
                #expect(body.contains(Self.tokenParameter), "\(body)")
                #expect(!body.contains("hunter2"))
                await missing.stop()
            }
        }
    }

    @Test func aMalformedDatabaseSecretIsAConfigurationErrorWithoutItsValue() async throws {
        try await withLambdaHarness { harness in
            let secrets = SecretsExtensionEmulator()
            secrets.set(#"{"username": "someone", "password": "hunter2"}"#, for: Self.databaseSecretArn)
            secrets.set("token", for: Self.tokenParameter)
            try await secrets.withServer { port in
                let binary = try harness.launch(Self.environment(port: port, token: secrets.sessionToken), removing: ["DATABASE_URL"])
                let (errorType, body) = try await harness.initError(of: binary)
                #expect(errorType == "Runtime.InvalidConfiguration")
                #expect(body.contains("DATABASE_URL_SECRET_ARN"))
                #expect(body.contains("DATABASE_HOST"))
                #expect(!body.contains("hunter2"))
                await binary.stop()
            }
        }
    }
}
