import Foundation
import LambdaRuntimeEmulator
import Testing
import TOMESimulator

/// The real `tome-prefetch` binary in Lambda mode, driven through the Runtime API emulator.
@Suite("tome-prefetch on the Lambda Runtime API")
struct LambdaModeTests {
    static let ruleEvent = """
        {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602", "detail-type": "Scheduled Event", "source": "aws.events",
         "account": "123456789012", "time": "2026-11-28T05:00:00Z", "region": "eu-west-1",
         "resources": ["arn:aws:events:eu-west-1:123456789012:rule/hourly"], "detail": {}}
        """
    static let schedulerEvent = """
        {"action": "refill", "trigger": "scheduled", "scheduledTime": "2026-11-28T06:00:00Z",
         "scheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch", "executionId": "e1", "attempt": "1"}
        """

    @Test func scheduledEventsFillThePoolAndRetriesOfOneFiringAreReplays() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch()
            let first = try await harness.emulator.answer(for: harness.emulator.invoke(Self.ruleEvent))
            guard case .response(let body) = first else {
                Issue.record("expected a response, got \(first)")
                return
            }
            #expect(body.contains("\"status\":\"succeeded\""))
            #expect(body.contains("\"pairsInserted\":1000"))
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 1000)

            let retried = Self.schedulerEvent.replacingOccurrences(of: "\"e1\"", with: "\"e2\"")
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(Self.schedulerEvent))
            let replay = try await harness.emulator.answer(for: harness.emulator.invoke(retried))
            #expect(replay.isResponse(containing: "\"replayed\":true"))
            #expect(try await harness.count("SELECT count(*) FROM refill_run") == 2)

            // Every log line is JSON and names its invocation.
            let invocationLines = binary.logLines.filter { $0.contains("refill") }
            #expect(!invocationLines.isEmpty)
            #expect(invocationLines.allSatisfy { $0.hasPrefix("{") && $0.contains("\"requestId\":\"req-") })
            await binary.stop()
        }
    }

    @Test func aMigrateEventAppliesTheSchemaThroughTheFunctionAndAgainChangesNothing() async throws {
        try await withLambdaHarness { harness in
            // An empty schema, as a new database is before its first migration.
            try await harness.execute(
                """
                DO $$ DECLARE t record; BEGIN
                  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
                    EXECUTE format('DROP TABLE %I CASCADE', t.tablename);
                  END LOOP;
                END $$
                """
            )
            #expect(try await harness.count("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == 0)
            let binary = try harness.launch()
            let first = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "migrate"}"#))
            #expect(first.isResponse(containing: #""schemaVersion":4"#), "\(first)")
            #expect(first.isResponse(containing: #""status":"migrated""#))
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 0)
            let tables = try await harness.count("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
            #expect(tables >= 7)

            let again = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "migrate"}"#))
            #expect(again.isResponse(containing: #""schemaVersion":4"#))
            #expect(try await harness.count("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == tables)
            // The schema in place, the same process refills.
            let refill = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill"}"#))
            #expect(refill.isResponse(containing: #""pairsInserted":1000"#))
            await binary.stop()
        }
    }

    @Test func aBadEventIsReportedAsAnErrorAndTheLoopGoesOn() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch()
            let bad = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "drain"}"#))
            guard case .error(let errorType, let contentType, let body) = bad else {
                Issue.record("expected an error, got \(bad)")
                return
            }
            #expect(errorType == "InvalidEvent")
            #expect(contentType == "application/vnd.aws.lambda.error+json")
            let report = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
            #expect((report?["errorMessage"] as? String)?.contains("unknown action") == true)
            #expect(report?["errorType"] as? String == "InvalidEvent")
            #expect(report?["stackTrace"] is [Any])

            let manual = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300, "reason": "test"}"#))
            #expect(manual.isResponse(containing: "\"pairsInserted\":300"))
            let status = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "status"}"#))
            #expect(status.isResponse(containing: "\"available\":300"))
            await binary.stop()
        }
    }

    @Test func invalidConfigurationIsAnInitErrorAndTheProcessExits() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch(["POOL_TARGET": "many", "TOME_URL": "ftp://nowhere"])
            let report = try await harness.emulator.initError()
            guard case .error(let errorType, _, let body) = report else {
                Issue.record("expected an init error")
                return
            }
            #expect(errorType == "Runtime.InvalidConfiguration")
            #expect(body.contains("POOL_TARGET"))
            #expect(body.contains("TOME_URL"))
            let status = await binary.waitForExit(timeout: .seconds(10))
            #expect(status != nil && status != 0)
            #expect(harness.emulator.polls.count == 0)
            await binary.stop()
        }
    }

    @Test func aDeadlineTooShortForThePlanGivesAPartialResultWithWholeBatches() async throws {
        var slow = FaultSettings()
        slow.latencyMs = 200
        try await withLambdaHarness(simulator: .init(faults: slow)) { harness in
            let binary = try harness.launch(["POOL_TARGET": "6000", "TOME_CONCURRENCY": "2", "REFILL_DEADLINE_MARGIN_MS": "300"])
            // About 12 s of work against a 6 s deadline.
            let answer = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill"}"#, timeout: .seconds(6)))
            #expect(answer.isResponse(containing: "\"status\":\"partial\""))
            let committed = try await harness.count("SELECT count(*) FROM refill_batch")
            #expect(committed > 0 && committed < 60)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == committed * 100)
            await binary.stop()
        }
    }

    /// Without REFILL_DEADLINE_MARGIN_MS the margin is the longest batch the TOME settings allow
    /// (here 2 × 3 s + 5 s), so the run answers with its summary before Lambda's deadline. The
    /// timeout is long enough that a busy machine does not time the calls out.
    @Test func theDerivedMarginEndsTheRunWithItsSummaryBeforeTheDeadline() async throws {
        var slow = FaultSettings()
        slow.latencyMs = 200
        try await withLambdaHarness(simulator: .init(faults: slow)) { harness in
            let binary = try harness.launch([
                "POOL_TARGET": "12000", "TOME_CONCURRENCY": "2", "TOME_REQUEST_TIMEOUT_MS": "3000", "TOME_MAX_ATTEMPTS": "1",
            ])
            // About 24 s of work against a 25 s deadline less the 11 s margin. The emulator does
            // not stop a late runtime, so the wait for the answer ends at the deadline: an answer
            // after it is no answer.
            let request = harness.emulator.invoke(#"{"action": "refill"}"#, timeout: .seconds(25))
            let answer = try await harness.emulator.answer(for: request, timeout: .seconds(25))
            #expect(answer.isResponse(containing: "\"status\":\"partial\""), "\(answer) \(binary.logLines.suffix(5))")
            let committed = try await harness.count("SELECT count(*) FROM refill_batch")
            #expect(committed > 0 && committed < 120)
            await binary.stop()
        }
    }

    @Test func a500FromTheRuntimeAPIEndsTheProcess() async throws {
        try await withLambdaHarness { harness in
            harness.emulator.failNextPoll(status: 500)
            let binary = try harness.launch()
            let status = await binary.waitForExit(timeout: .seconds(15))
            #expect(status != nil && status != 0)
            #expect(binary.logLines.contains { $0.contains("Runtime API") && $0.contains("500") })
            await binary.stop()
        }
    }

    @Test func sigtermWhileIdleExitsCleanly() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch()
            let limit = ContinuousClock.now + .seconds(15)
            while harness.emulator.polls.count == 0 && ContinuousClock.now < limit {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(harness.emulator.polls.count == 1)
            binary.signal(SIGTERM)
            let status = await binary.waitForExit(timeout: .seconds(10))
            #expect(status == 0)
            await binary.stop()
        }
    }
}

extension RuntimeAPIEmulator.Answer {
    func isResponse(containing text: String) -> Bool {
        if case .response(let body) = self { return body.contains(text) }
        return false
    }

    /// The errorType of an error answer; nil for a response.
    var errorType: String? {
        if case .error(let errorType, _, _) = self { return errorType }
        return nil
    }
}
