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

    /// The database secret read again, after the database refused its password; nil when there is
    /// no database secret or it has not changed (the extension may still serve the old value from
    /// its cache, for up to `SECRETS_MANAGER_TTL`).
    func reloadDatabase(_ current: ResolvedSecrets) async throws(SecretError) -> ResolvedSecrets? {
        guard let database, let secretsExtension else { return nil }
        let value = try await secretsExtension.read(database)
        guard value != current.databaseSecret else { return nil }
        var updated = current
        updated.databaseSecret = value
        return updated
    }
}
