public import ProcessConfiguration
import PoolDatabase
import TOMEClient

extension RefillJob.Configuration {
    /// Reads the job's settings from environment variables, naming every problem at once.
    /// Secrets (the database password, the TOME token) never appear in the problems.
    ///
    /// | variable | default |
    /// | --- | --- |
    /// | `DATABASE_URL` | required, or `DATABASE_URL_SECRET_ARN` (`postgres://user:password@host:5432/db?sslmode=verify-full&sslrootcert=…`) |
    /// | `DATABASE_URL_SECRET_ARN` | a secret (Secrets Manager ARN or SSM parameter) holding the URL or RDS's JSON, read at start-up |
    /// | `DATABASE_SSLMODE`, `DATABASE_SSLROOTCERT` | `require`, none: TLS for a JSON secret |
    /// | `DATABASE_HOST`, `DATABASE_PORT`, `DATABASE_NAME` | what a JSON secret lacks (an RDS-managed secret holds only the login) |
    /// | `DATABASE_MAX_CONNECTIONS` | 10 |
    /// | `TOME_URL`, `TOME_AUTH_TOKEN`, `TOME_*` | see `HTTPTOMEClient.Configuration(environment:)` |
    /// | `TOME_AUTH_TOKEN_SECRET` | a secret holding the TOME token, instead of `TOME_AUTH_TOKEN` |
    /// | `TOME_NS1`, `TOME_NS2` | `NS1`, `NS2` |
    /// | `POOL_TARGET` | 10000 |
    /// | `POOL_SIZING` | `forecast` (or `static`: `POOL_TARGET` every run) |
    /// | `POOL_COVER_HOURS` | 4 (the TOME outage the pool rides out) |
    /// | `POOL_TARGET_MIN`, `POOL_TARGET_MAX` | 0, 1000000 |
    /// | `POOL_HISTORY_DAYS` | 28 |
    /// | `POOL_LOW_WATERMARK` | static sizing only: a quarter of `POOL_TARGET` |
    /// | `METRICS_NAMESPACE`, `POOL_NAME` | `TomePool`, `tome-pool` (the metrics' namespace and `Pool` dimension) |
    /// | `REFILL_MAX_PAIRS` | 100000 |
    /// | `TOME_BATCH_SIZE` | 500 |
    /// | `TOME_CONCURRENCY` | 8 |
    /// | `POOL_PAIR_TTL_HOURS` | none (pairs never expire) |
    /// | `REFILL_LEASE_SECONDS` | 30 |
    /// | `REFILL_DEADLINE_MARGIN_MS` | the longest one batch can take with the `TOME_*` settings (`derivedDeadlineMargin`) |
    ///
    /// `secrets` holds what the secret variables point at, read beforehand (see `SecretSettings`).
    public init(environment: [String: String], secrets: ResolvedSecrets = ResolvedSecrets()) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        var problems: [String] = []
        let database = Self.database(&reader, secrets: secrets)
        var environment = environment
        if reader.optionalString(SecretSettings.tomeTokenVariable) != nil {
            if reader.optionalString("TOME_AUTH_TOKEN") != nil {
                reader.problem("set TOME_AUTH_TOKEN or \(SecretSettings.tomeTokenVariable), not both")
            }
            environment["TOME_AUTH_TOKEN"] = secrets.tomeAuthToken
        }
        let maxConnections = reader.integer("DATABASE_MAX_CONNECTIONS", default: 10, in: 1...500)
        let ns1 = reader.string("TOME_NS1", default: "NS1")
        let ns2 = reader.string("TOME_NS2", default: "NS2")
        for (name, value) in [("TOME_NS1", ns1), ("TOME_NS2", ns2)] where !NamespaceName.isValid(value) {
            reader.problem("\(name) may use only letters, digits, '_' and '-'")
        }
        if ns1 == ns2 { reader.problem("TOME_NS1 and TOME_NS2 must name different namespaces") }
        let sizing = SizingSettings(reader: &reader)
        let metrics = PoolMetrics.Settings(
            namespace: reader.string("METRICS_NAMESPACE", default: "TomePool"),
            poolName: reader.string("POOL_NAME", default: "tome-pool")
        )
        for (name, value) in [("METRICS_NAMESPACE", metrics.namespace), ("POOL_NAME", metrics.poolName)]
        where value.count > 255 || value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            reader.problem("\(name) must be printable and at most 255 characters")
        }
        let leaseSeconds = reader.integer("REFILL_LEASE_SECONDS", default: 30, in: 3...3_600)
        let marginMs: Int? =
            reader.optionalString("REFILL_DEADLINE_MARGIN_MS") == nil
            ? nil : reader.integer("REFILL_DEADLINE_MARGIN_MS", default: 0, in: 0...600_000)
        problems.append(contentsOf: reader.problems)

        var tome: HTTPTOMEClient.Configuration?
        do {
            tome = try HTTPTOMEClient.Configuration(environment: environment)
        } catch {
            problems.append(contentsOf: error.problems)
        }
        guard problems.isEmpty, var database, let tome else {
            throw ConfigurationError(problems: problems)
        }
        database.maxConnections = maxConnections
        self.init(
            database: database,
            tome: tome,
            namespaces: .init(ns1: ns1, ns2: ns2, maxBatchSize: sizing.batchSize),
            sizing: sizing,
            metrics: metrics,
            leaseTimeToLive: .seconds(leaseSeconds),
            deadlineMargin: marginMs.map { .milliseconds($0) }
        )
    }
}

extension RefillJob.Configuration {
    /// `DATABASE_URL`, or the secret `DATABASE_URL_SECRET_ARN` points at (with its TLS and endpoint settings).
    private static func database(_ reader: inout EnvironmentReader, secrets: ResolvedSecrets) -> DatabaseConfiguration? {
        let secretVariable = SecretSettings.databaseVariable
        let url = reader.optionalString("DATABASE_URL")
        guard reader.optionalString(secretVariable) != nil else {
            guard let url = reader.requiredString("DATABASE_URL") else { return nil }
            do {
                return try DatabaseConfiguration(serviceURL: url)
            } catch {
                reader.problem("DATABASE_URL: \(error)")
                return nil
            }
        }
        if url != nil { reader.problem("set DATABASE_URL or \(secretVariable), not both") }
        var defaults = DatabaseConfiguration.SecretDefaults()
        if let mode = reader.optionalString("DATABASE_SSLMODE") {
            if let parsed = DatabaseConfiguration.TLSMode(rawValue: mode) {
                defaults.tls = parsed
            } else {
                let modes = DatabaseConfiguration.TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                reader.problem("DATABASE_SSLMODE must be one of \(modes), got \"\(mode.prefix(32))\"")
            }
        }
        defaults.rootCertificateFile = reader.optionalString("DATABASE_SSLROOTCERT")
        defaults.host = reader.optionalString("DATABASE_HOST")
        defaults.database = reader.optionalString("DATABASE_NAME")
        if reader.optionalString("DATABASE_PORT") != nil {
            defaults.port = reader.integer("DATABASE_PORT", default: 5432, in: 1...65_535)
        }
        guard let secret = secrets.databaseSecret else {
            reader.problem("\(secretVariable) is set but its secret was not read")
            return nil
        }
        do {
            return try DatabaseConfiguration(secret: secret, defaults: defaults)
        } catch {
            reader.problem("\(secretVariable): \(error)")
            return nil
        }
    }
}
