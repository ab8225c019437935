import TestSupport
import Logging
import PoolDatabase
import PostgresNIO
import PrefetchJob
import TOMEClient
import TOMESimulator

/// A job wired to a real PostgreSQL schema of its own and an in-process simulator over HTTP.
struct JobHarness: Sendable {
    let job: RefillJob
    let database: PostgresClient
    let simulator: RunningSimulator
    let configuration: RefillJob.Configuration

    func refill(_ request: RefillRequest = RefillRequest(), requestId: String = "test", deadline: ContinuousClock.Instant? = nil) async throws -> RunSummary {
        let result = await job.handle(.refill(request), context: InvocationContext(requestId: requestId, deadline: deadline))
        guard case .refill(let summary) = result else {
            throw HarnessError("expected a refill summary, got \(result.json())")
        }
        return summary
    }

    func topUp(_ request: RefillRequest = RefillRequest(trigger: .topUp), requestId: String = "test") async throws -> RunSummary {
        let result = await job.handle(.topUp(request), context: InvocationContext(requestId: requestId))
        guard case .refill(let summary) = result else {
            throw HarnessError("expected a top-up summary, got \(result.json())")
        }
        return summary
    }

    func count(_ sql: String) async throws -> Int {
        for try await count in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return count }
        return 0
    }

    var pooled: Int { get async throws { try await count("SELECT count(*) FROM token_pool") } }
    var runs: Int { get async throws { try await count("SELECT count(*) FROM refill_run") } }

    /// Another refill's lease, held for a minute more: `other-host/pid-1/x`, run `r-other`.
    func holdLeaseElsewhere() async throws {
        try await database.query(
            "INSERT INTO refill_lease (name, holder, run_id, acquired_at, expires_at) VALUES ('refill', 'other-host/pid-1/x', 'r-other', now(), now() + INTERVAL '1 minute')"
        )
    }

    /// Tokens that appear more than once across the pool and the assignments, in either namespace.
    var duplicateTokens: Int {
        get async throws {
            try await count(
                """
                SELECT count(*) FROM (
                    SELECT t FROM (SELECT ns1_token AS t FROM token_pool UNION ALL SELECT ns1_token FROM token_assignment
                                   UNION ALL SELECT ns2_token FROM token_pool UNION ALL SELECT ns2_token FROM token_assignment) all_tokens
                    GROUP BY t HAVING count(*) > 1) repeated
                """
            )
        }
    }

    var ns1TokensIssued: Int { simulator.simulator.stats.namespaces[configuration.namespaces.ns1]?.tokensIssued ?? -1 }
    var issueCalls: Int { simulator.simulator.stats.namespaces[configuration.namespaces.ns1]?.calls["issue"] ?? -1 }

    /// Every stored pair must agree with TOME's NS2 detokenize.
    func auditIsClean() async throws -> Bool {
        try await job.audit(sample: 1_000_000).isClean
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let quietLogger = Logger(label: "test.job", factory: { _ in SwiftLogNoOpLogHandler() })

/// Fast retries so fault tests spend their time on behaviour, not on backoff.
let testRetry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(40), maxRetryAfter: .seconds(1))

func withJob<Result: Sendable>(
    isolation: TestDatabase.Isolation = .readCommitted,
    simulator simulatorConfiguration: SimulatedTOME.Configuration = .init(),
    target: Int = 1_000,
    batchSize: Int = 100,
    concurrency: Int = 4,
    retry: RetryPolicy = testRetry,
    requestTimeout: Duration = .seconds(5),
    tune: @Sendable (inout RefillJob.Configuration) -> Void = { _ in },
    _ body: @Sendable (JobHarness) async throws -> Result
) async throws -> Result {
    try await TestDatabase.withIsolatedSchema(isolation: isolation) { databaseConfiguration, database in
        try await SimulatedTOME.withRunning(configuration: simulatorConfiguration) { running in
            var configuration = RefillJob.Configuration(
                database: databaseConfiguration,
                tome: .init(baseURL: running.url, requestTimeout: requestTimeout, retry: retry),
                leaseTimeToLive: .seconds(6)
            )
            configuration.sizing.fixedTarget = target
            configuration.sizing.batchSize = batchSize
            configuration.sizing.concurrency = concurrency
            // Refill mechanics are tested at a fixed target; the sizing tests choose the forecast.
            configuration.sizing.mode = .static
            tune(&configuration)
            let jobConfiguration = configuration
            return try await HTTPTOMEClient.withClient(configuration: jobConfiguration.tome) { tome in
                let job = RefillJob(configuration: jobConfiguration, database: database, tome: tome, logger: quietLogger)
                return try await body(JobHarness(job: job, database: database, simulator: running, configuration: jobConfiguration))
            }
        }
    }
}
