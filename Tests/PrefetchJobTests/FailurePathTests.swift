import ProcessConfiguration
import TestSupport
import Logging
import PoolDatabase
import PostgresNIO
import PoolDatabase
import PrefetchJob
import Testing
import TOMEClient
import TOMESimulator

/// What goes wrong before or around a refill: bad input, bad configuration, missing
/// namespaces, an unreachable database. Each says what is wrong and writes nothing.
@Suite("Failure paths")
struct FailurePathTests {
    @Test func badEventsWriteNothingAndCallNoTOME() async throws {
        try await withJob { harness in
            for bad in [#"{"action": "drain"}"#, "not json", #"{"target": -1}"#, #"[{"action": "refill"}]"#] {
                let result = await harness.job.handle(eventBytes: Array(bad.utf8), context: InvocationContext(requestId: "bad"))
                #expect(!result.isSuccess)
                #expect(result.json().contains("\"status\":\"rejected\""))
            }
            let runsCount = try await harness.runs
            #expect(runsCount == 0)
            let pooledCount = try await harness.pooled
            #expect(pooledCount == 0)
            let calls = harness.simulator.simulator.stats.namespaces.values.flatMap(\.calls.values).reduce(0, +)
            #expect(calls == 0)
        }
    }

    @Test func aMissingNS2NamespaceIsAClearErrorAndNothingIsWritten() async throws {
        try await withJob(simulator: .init(namespaces: ["NS1"])) { harness in
            let result = await harness.job.handle(.refill(RefillRequest()), context: InvocationContext(requestId: "x"))
            guard let message = failureMessage(of: result) else { return }
            #expect(message.contains("NS2"))
            #expect(message.contains("onboarding"))
            let runsCount = try await harness.runs
            #expect(runsCount == 0)
            #expect(harness.simulator.simulator.stats.namespaces["NS1"]?.calls["issue"] == 0)
        }
    }

    @Test func aRateLimitedNamespaceCheckIsNotBlamedOnOnboarding() async throws {
        var faults = FaultSettings()
        faults.nextFaults = Array(repeating: "429", count: 8)
        faults.retryAfterSeconds = 0.01
        faults.operations = [.info]
        try await withJob(simulator: .init(faults: faults)) { harness in
            let result = await harness.job.handle(.refill(RefillRequest()), context: InvocationContext(requestId: "x"))
            guard let message = failureMessage(of: result) else { return }
            #expect(message.contains("did not answer the check of namespace"))
            #expect(message.contains("429"))
            #expect(!message.contains("onboarding"))
            let runsCount = try await harness.runs
            #expect(runsCount == 0)
        }
    }

    @Test func aBatchSizeTOMECannotTakeIsNamed() async throws {
        try await withJob(simulator: .init(maxBatchSize: 50), batchSize: 100) { harness in
            let result = await harness.job.handle(.refill(RefillRequest()), context: InvocationContext(requestId: "x"))
            #expect(result.json().contains("TOME_BATCH_SIZE"))
            let runsCount = try await harness.runs
            #expect(runsCount == 0)
        }
    }

    @Test func anUnmigratedDatabaseSaysToMigrate() async throws {
        try await withJob { harness in
            try await harness.database.query("DROP TABLE schema_version")
            let result = await harness.job.handle(.refill(RefillRequest()), context: InvocationContext(requestId: "x"))
            #expect(result.json().contains("tome-prefetch migrate"))
        }
    }

    @Test func anUnreachableDatabaseFailsClearlyWithoutHanging() async throws {
        // Nothing listens on port 1: the connection is refused at once.
        let database = DatabaseConfiguration(port: 1, username: "nobody", password: "secret-password", database: "none", tls: .disable, connectTimeout: .seconds(1))
        try await SimulatedTOME.withRunning { running in
            let configuration = RefillJob.Configuration(database: database, tome: .init(baseURL: running.url))
            let started = ContinuousClock.now
            let error = await #expect(throws: DatabaseError.self) {
                try await RefillJob.withJob(configuration: configuration, logger: quietLogger) { job in
                    await job.handle(.status, context: InvocationContext(requestId: "x"))
                }
            }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("could not connect"))
            #expect(text.contains("127.0.0.1:1"))
            #expect(!text.contains("secret-password"))
            // Not a timing benchmark: a generous bound that only a hang would break.
            #expect(ContinuousClock.now - started < .seconds(20))
        }
    }

    @Test func environmentConfigurationNamesEveryProblemAndNoSecret() {
        let environment = [
            "DATABASE_URL": "postgres://app:hunter2@db.internal:5432/cards?sslmode=sometimes",
            "TOME_URL": "tome.internal",
            "TOME_AUTH_TOKEN": "tok-secret",
            "POOL_TARGET": "-5",
            "TOME_CONCURRENCY": "0",
            "TOME_NS1": "NS1",
            "TOME_NS2": "NS1",
        ]
        let error = #expect(throws: ConfigurationError.self) { try RefillJob.Configuration(environment: environment) }
        let text = error?.description ?? ""
        for name in ["DATABASE_URL", "TOME_URL", "POOL_TARGET", "TOME_CONCURRENCY", "TOME_NS2"] {
            #expect(text.contains(name), "\(name) is not named in: \(text)")
        }
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("tok-secret"))
    }

    @Test func environmentConfigurationDefaults() throws {
        let configuration = try RefillJob.Configuration(environment: [
            "DATABASE_URL": "postgres://app:p%40ss@db.internal/cards?sslmode=require", "TOME_URL": "https://tome.internal",
        ])
        #expect(configuration.database.password == "p@ss")
        #expect(configuration.database.tls == .require)
        #expect(configuration.database.port == 5432)
        #expect(configuration.sizing.fixedTarget == 10_000)
        #expect(configuration.sizing.batchSize == 500)
        #expect(configuration.sizing.concurrency == 8)
        #expect(configuration.namespaces.ns2 == "NS2")
        #expect(configuration.sizing.pairTimeToLive == nil)
        #expect(!"\(configuration.database)".contains("p@ss"))
    }

    /// The time kept before a deadline follows the TOME settings: one batch's NS1 and NS2 calls,
    /// each to the end of its attempts and waits, and the allowance to commit and answer.
    @Test func theDeadlineMarginIsTheLongestBatchTheTOMESettingsAllow() throws {
        let base = ["DATABASE_URL": "postgres://app:pw@localhost/cards", "TOME_URL": "http://localhost:1"]
        // 4 attempts of 5 s and three waits of up to 10 s (Retry-After's cap) per call.
        #expect(try RefillJob.Configuration(environment: base).deadlineMargin == .seconds(105))
        let quick = base.merging(["TOME_REQUEST_TIMEOUT_MS": "1000", "TOME_MAX_ATTEMPTS": "2"]) { $1 }
        #expect(try RefillJob.Configuration(environment: quick).deadlineMargin == .seconds(2 * (2 + 10) + 5))
        let given = base.merging(["REFILL_DEADLINE_MARGIN_MS": "300"]) { $1 }
        #expect(try RefillJob.Configuration(environment: given).deadlineMargin == .milliseconds(300))
        let wrong = base.merging(["REFILL_DEADLINE_MARGIN_MS": "soon"]) { $1 }
        let error = #expect(throws: ConfigurationError.self) { try RefillJob.Configuration(environment: wrong) }
        #expect(error?.description.contains("REFILL_DEADLINE_MARGIN_MS") == true)
    }

    @Test func statusAndAuditReportThePoolAndCatchATamperedPair() async throws {
        try await withJob(target: 200) { harness in
            _ = try await harness.refill(RefillRequest(reason: "first fill"))
            let status = try await harness.job.status()
            #expect(status.pool.available == 200)
            #expect(status.deficit == 0)
            #expect(status.lastRuns.first?.reason == "first fill")
            #expect(status.lastRuns.first?.batchesCommitted == 2)
            #expect(status.leaseHolder == nil)
            #expect(status.schemaVersion == Schema.version)
            #expect(try await harness.job.audit(sample: 50).isClean)

            // Swap two pairs' NS1 tokens: TOME's NS2 detokenize now disagrees with both rows.
            try await harness.database.query(
                """
                WITH two AS (SELECT ns1_token, ns2_token FROM token_pool ORDER BY ns1_token LIMIT 2)
                UPDATE token_pool SET ns1_token = 'x-' || token_pool.ns1_token WHERE ns1_token IN (SELECT ns1_token FROM two)
                """
            )
            let audit = try await harness.job.audit(sample: 1_000)
            #expect(audit.mismatches.count == 2)
            #expect(audit.mismatches.allSatisfy { $0.ns2Token.hasSuffix("…") && $0.ns2Token.count <= 9 })
        }
    }
}

/// The message of a failed result; records an issue (at the caller) and returns nil for any other result.
private func failureMessage(of result: JobResult, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
    guard case .failed(let failure) = result else {
        Issue.record("expected a failure, got \(result.json())", sourceLocation: sourceLocation)
        return nil
    }
    return failure.description
}
