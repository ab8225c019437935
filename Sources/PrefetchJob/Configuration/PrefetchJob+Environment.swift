import PoolDatabase
public import TOMEClient

extension PrefetchJob.Configuration {
    /// Reads the job's settings from environment variables, naming every problem at once.
    /// Secrets (the database password, the TOME token) never appear in the problems.
    ///
    /// | variable | default |
    /// | --- | --- |
    /// | `DATABASE_URL` | required (`postgres://user:password@host:5432/db?sslmode=require`) |
    /// | `DATABASE_MAX_CONNECTIONS` | 10 |
    /// | `TOME_URL`, `TOME_AUTH_TOKEN`, `TOME_*` | see `HTTPTOMEClient.Configuration(environment:)` |
    /// | `TOME_NS1`, `TOME_NS2` | `NS1`, `NS2` |
    /// | `POOL_TARGET` | 10000 |
    /// | `REFILL_MAX_PAIRS` | 100000 |
    /// | `TOME_BATCH_SIZE` | 500 |
    /// | `TOME_CONCURRENCY` | 8 |
    /// | `POOL_PAIR_TTL_HOURS` | none (pairs never expire) |
    /// | `REFILL_LEASE_SECONDS` | 30 |
    /// | `REFILL_DEADLINE_MARGIN_MS` | 5000 |
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        var problems: [String] = []
        var database: DatabaseConfiguration?
        if let url = reader.requiredString("DATABASE_URL") {
            do {
                database = try DatabaseConfiguration(url: url)
            } catch {
                problems.append("DATABASE_URL: \(error)")
            }
        }
        let maxConnections = reader.integer("DATABASE_MAX_CONNECTIONS", default: 10, in: 1...500)
        let internalNamespace = reader.string("TOME_NS1", default: "NS1")
        let externalNamespace = reader.string("TOME_NS2", default: "NS2")
        for (name, value) in [("TOME_NS1", internalNamespace), ("TOME_NS2", externalNamespace)] where !NamespaceName.isValid(value) {
            reader.problem("\(name) may use only letters, digits, '_' and '-'")
        }
        if internalNamespace == externalNamespace { reader.problem("TOME_NS1 and TOME_NS2 must name different namespaces") }
        let poolTarget = reader.integer("POOL_TARGET", default: 10_000, in: 0...50_000_000)
        let maxPairs = reader.integer("REFILL_MAX_PAIRS", default: 100_000, in: 1...50_000_000)
        let batchSize = reader.integer("TOME_BATCH_SIZE", default: 500, in: 1...100_000)
        let concurrency = reader.integer("TOME_CONCURRENCY", default: 8, in: 1...256)
        let ttlHours = reader.integer("POOL_PAIR_TTL_HOURS", default: 0, in: 0...87_600)
        let leaseSeconds = reader.integer("REFILL_LEASE_SECONDS", default: 30, in: 3...3_600)
        let marginMs = reader.integer("REFILL_DEADLINE_MARGIN_MS", default: 5_000, in: 0...600_000)
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
            namespaces: .init(internalNamespace: internalNamespace, externalNamespace: externalNamespace, maxBatchSize: batchSize),
            poolTarget: poolTarget,
            maxPairsPerRun: maxPairs,
            batchSize: batchSize,
            concurrency: concurrency,
            pairTimeToLive: ttlHours > 0 ? .seconds(ttlHours * 3600) : nil,
            leaseTimeToLive: .seconds(leaseSeconds),
            deadlineMargin: .milliseconds(marginMs)
        )
    }
}
