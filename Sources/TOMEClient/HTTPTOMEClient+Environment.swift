public import ProcessConfiguration

extension HTTPTOMEClient.Configuration {
    /// Reads the client's settings from environment variables; called by executables only.
    ///
    /// | variable | meaning | default |
    /// | --- | --- | --- |
    /// | `TOME_URL` | base URL | required |
    /// | `TOME_AUTH_TOKEN` | bearer token | none |
    /// | `TOME_CA_FILE` | PEM CA bundle to trust | system store |
    /// | `TOME_CLIENT_CERT_FILE`, `TOME_CLIENT_KEY_FILE` | PEM pair for mutual TLS | none |
    /// | `TOME_CONNECT_TIMEOUT_MS` | connect timeout | 2000 |
    /// | `TOME_REQUEST_TIMEOUT_MS` | per-attempt timeout | 5000 |
    /// | `TOME_MAX_ATTEMPTS` | attempts per call | 4 |
    /// | `TOME_MAX_CONNECTIONS` | connection soft limit | 16 |
    ///
    /// Every problem is collected, so one run of the program names all of them.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        let baseURL = reader.url("TOME_URL")
        let authToken = reader.optionalString("TOME_AUTH_TOKEN")
        let caFile = reader.optionalString("TOME_CA_FILE")
        let certificateFile = reader.optionalString("TOME_CLIENT_CERT_FILE")
        let privateKeyFile = reader.optionalString("TOME_CLIENT_KEY_FILE")
        if (certificateFile == nil) != (privateKeyFile == nil) {
            reader.problem("TOME_CLIENT_CERT_FILE and TOME_CLIENT_KEY_FILE must be set together for mutual TLS")
        }
        let connectMs = reader.integer("TOME_CONNECT_TIMEOUT_MS", default: 2000, in: 1...600_000)
        let requestTimeout = Self.requestTimeout(reader: &reader)
        let attempts = reader.integer("TOME_MAX_ATTEMPTS", default: 4, in: 1...20)
        let connections = reader.integer("TOME_MAX_CONNECTIONS", default: 16, in: 1...1024)
        try reader.finish()

        let tls: HTTPTOMEClient.TLS? =
            caFile == nil && certificateFile == nil
            ? nil : .init(caFile: caFile, certificateFile: certificateFile, privateKeyFile: privateKeyFile)
        self.init(
            baseURL: baseURL ?? "",
            authToken: authToken,
            tls: tls,
            connectTimeout: .milliseconds(connectMs),
            requestTimeout: requestTimeout,
            retry: RetryPolicy(maxAttempts: attempts),
            maxConnections: connections
        )
    }

    /// `TOME_REQUEST_TIMEOUT_MS`, read in one place: the client's per-attempt timeout, and what
    /// the pool sizing (and its replay) assume a refill's slowest batch can take.
    public static func requestTimeout(reader: inout EnvironmentReader) -> Duration {
        .milliseconds(reader.integer("TOME_REQUEST_TIMEOUT_MS", default: 5000, in: 1...600_000))
    }
}
