import PoolDatabase
import PostgresNIO
import PrefetchJob
import Testing
import TOMEClient

/// Stored runs are read strictly: what this version cannot read is an error naming the run,
/// never a silent re-run or a guessed status; what it can read replays, extra fields and all.
@Suite("Stored runs")
struct StoredRunTests {
    private func answer(_ harness: JobHarness, key: String) async -> JobResult {
        await harness.job.handle(.refill(RefillRequest(idempotencyKey: key)), context: InvocationContext(requestId: "stored"))
    }

    @Test func aStoredResultWithAFieldThisVersionDoesNotKnowStillReplays() async throws {
        try await withJob(target: 300) { harness in
            let first = try await harness.refill(RefillRequest(idempotencyKey: "k-extra"))
            try await harness.database.query(
                "UPDATE refill_run SET result = '{\"addedByALaterVersion\": {\"x\": 1}, ' || substr(result, 2) WHERE idempotency_key = 'k-extra'"
            )
            let replay = try await harness.refill(RefillRequest(idempotencyKey: "k-extra"))
            #expect(replay.replayed)
            #expect(replay.runId == first.runId)
            #expect(replay.pairsInserted == 300)
            #expect(try await harness.runs == 1)
        }
    }

    @Test(arguments: [
        (#"{"trigger": "manual"}"#, "does not decode (no \"status\")"),
        (#"{"trigger": "manual", "status": "exploded", "batchesPlanned": 1}"#, "\"status\" holds an unknown value"),
        ("not json at all", "does not decode"),
        (#"{"version": 9, "trigger": "manual", "status": "succeeded"}"#, "result format 9 by a newer tome-prefetch"),
    ])
    func aStoredResultThatDoesNotDecodeIsAnErrorNamingTheRun(stored: String, expected: String) async throws {
        try await withJob(target: 200) { harness in
            let first = try await harness.refill(RefillRequest(idempotencyKey: "k-broken"))
            try await harness.database.query("UPDATE refill_run SET result = \(stored) WHERE idempotency_key = 'k-broken'")
            let result = await answer(harness, key: "k-broken")
            guard case .failed(let failure) = result else {
                Issue.record("expected a failure, got \(result.json())")
                return
            }
            #expect(failure.description.contains("run \(first.runId ?? "?")"))
            #expect(failure.description.contains(expected), "\(failure.description)")
            #expect(try await harness.runs == 1)
            #expect(try await harness.pooled == 200)
        }
    }

    @Test(arguments: [("status", "paused"), ("trigger", "hourly")])
    func anUnknownStatusOrTriggerIsAnErrorNotAResumedRun(column: String, value: String) async throws {
        try await withJob(target: 200) { harness in
            let first = try await harness.refill(RefillRequest(idempotencyKey: "k-unknown"))
            // The schema's check would refuse the value; a newer version's rows are what this stands for.
            try await harness.database.query(PostgresQuery(unsafeSQL: "ALTER TABLE refill_run DROP CONSTRAINT refill_run_\(column)_check"))
            try await harness.database.query(PostgresQuery(unsafeSQL: "UPDATE refill_run SET \(column) = '\(value)'"))
            let issuedBefore = harness.ns1TokensIssued
            // Its own key finds the row; for a status, so does any refill (it looks for runs to finish).
            for key in column == "status" ? ["k-unknown", "k-other"] : ["k-unknown"] {
                let result = await answer(harness, key: key)
                guard case .failed(let failure) = result else {
                    Issue.record("expected a failure, got \(result.json())")
                    return
                }
                #expect(failure.description.contains("run \(first.runId ?? "?") in refill_run has \(column) \"\(value)\""), "\(failure.description)")
            }
            #expect(harness.ns1TokensIssued == issuedBefore)
            #expect(try await harness.count("SELECT count(*) FROM refill_batch") == 2)
        }
    }

    @Test func tomeReceivesTheDocumentedRequestIds() async throws {
        try await withJob(target: 200, batchSize: 100) { harness in
            let summary = try await harness.refill()
            let runId = try #require(summary.runId)
            var stored = Set<String>()
            for try await token in try await harness.database.query("SELECT ns1_token FROM token_pool WHERE batch_no = 0").decode(String.self) {
                stored.insert(token)
            }
            // <run id>-<batch>.ns1: asking again with the same id returns the batch's own tokens.
            try await HTTPTOMEClient.withClient(configuration: harness.configuration.tome) { tome in
                let again = try await tome.issueTokens(namespace: "NS1", count: 100, requestId: "\(runId)-0.ns1")
                #expect(Set(again) == stored)
            }
            #expect(harness.ns1TokensIssued == 200)
        }
    }
}
