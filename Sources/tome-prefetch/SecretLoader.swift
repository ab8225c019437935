import ProcessConfiguration
import LambdaRuntime
import PrefetchJob
import TOMEClient

/// Reads the secrets that `DATABASE_URL_SECRET_ARN` and `TOME_AUTH_TOKEN_SECRET` point at,
/// through the Parameters and Secrets Lambda Extension (`PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`,
/// default 2773; `AWS_SESSION_TOKEN` authenticates). Does nothing when neither is set.
struct SecretLoader: Sendable {
    let database: SecretReference?
    let tomeToken: SecretReference?
    let secretsExtension: ParametersSecretsExtension?

    init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        func reference(_ name: String) -> SecretReference? {
            guard let text = reader.optionalString(name) else { return nil }
            guard let reference = SecretReference(text) else {
                reader.problem("\(name) must be a Secrets Manager secret ARN or an SSM parameter name or ARN")
                return nil
            }
            return reference
        }
        database = reference(SecretSettings.databaseVariable)
        tomeToken = reference(SecretSettings.tomeTokenVariable)
        if database != nil || tomeToken != nil {
            let port = reader.integer("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", default: 2773, in: 1...65_535)
            let timeout = reader.integer("SECRETS_READ_TIMEOUT_MS", default: 5_000, in: 100...60_000)
            let token = reader.requiredString("AWS_SESSION_TOKEN") ?? ""
            secretsExtension = ParametersSecretsExtension(
                configuration: .init(port: port, sessionToken: token, timeout: .milliseconds(timeout))
            )
        } else {
            secretsExtension = nil
        }
        try reader.finish()
    }

    /// Every secret the environment points at.
    func load() async throws(SecretError) -> ResolvedSecrets {
        var secrets = ResolvedSecrets()
        if let database, let secretsExtension { secrets.databaseSecret = try await secretsExtension.read(database) }
        if let tomeToken, let secretsExtension { secrets.tomeAuthToken = try await secretsExtension.read(tomeToken) }
        return secrets
    }

    /// The secrets a refusal can ask to read again.
    enum Secret: Sendable, CustomStringConvertible {
        /// The database login, after the database refused its password.
        case database
        /// The TOME bearer token, after TOME answered 401 or 403.
        case tomeToken

        var description: String {
            switch self {
            case .database: "the database secret"
            case .tomeToken: "the TOME token's secret"
            }
        }
    }

    /// Whether the environment points at this secret (so there is something to read again).
    func reads(_ secret: Secret) -> Bool {
        switch secret {
        case .database: database != nil
        case .tomeToken: tomeToken != nil
        }
    }

    /// One secret read again after a refusal; nil when the environment does not point at it or it
    /// has not changed (the extension may still serve the old value from its cache, for up to
    /// `SECRETS_MANAGER_TTL` or `SSM_PARAMETER_STORE_TTL`).
    func reload(_ secret: Secret, current: ResolvedSecrets) async throws(SecretError) -> ResolvedSecrets? {
        guard let secretsExtension else { return nil }
        var updated = current
        switch secret {
        case .database:
            guard let database else { return nil }
            updated.databaseSecret = try await secretsExtension.read(database)
        case .tomeToken:
            guard let tomeToken else { return nil }
            updated.tomeAuthToken = try await secretsExtension.read(tomeToken)
        }
        return updated == current ? nil : updated
    }
}
