/// The values that the secret variables point at, read by the executable before the
/// configuration is built (reading them is network I/O; the configuration is not).
///
/// `DATABASE_URL_SECRET_ARN` and `TOME_AUTH_TOKEN_SECRET` name a Secrets Manager secret (ARN) or
/// an SSM SecureString parameter, so that no secret sits in the function's configuration.
public struct ResolvedSecrets: Sendable, Equatable {
    /// The database secret: a `postgres://` URL or RDS's JSON.
    public var databaseSecret: String?
    /// The TOME bearer token.
    public var tomeAuthToken: String?

    public init(databaseSecret: String? = nil, tomeAuthToken: String? = nil) {
        self.databaseSecret = databaseSecret
        self.tomeAuthToken = tomeAuthToken
    }
}

/// The names of the variables that point at secrets.
public enum SecretSettings {
    public static let databaseVariable = "DATABASE_URL_SECRET_ARN"
    public static let tomeTokenVariable = "TOME_AUTH_TOKEN_SECRET"
}
