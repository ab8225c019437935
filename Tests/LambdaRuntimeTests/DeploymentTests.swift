import Foundation
import LambdaRuntimeEmulator
import PostgresNIO
import TOMESimulator
import Testing

/// What a deployment to AWS depends on, through the real binary: Scheduler's default payload,
/// Lambda's log levels, metrics in the run's JSON line, and secrets read at run time.
@Suite("tome-prefetch as deployed")
struct DeploymentTests {
    static let scheduleArn = "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch-hourly"

    static func schedulerPayload(id: String, time: String) -> String {
        """
        {"version": "0", "id": "\(id)", "detail-type": "Scheduled Event", "source": "aws.scheduler", "account": "123456789012",
         "time": "\(time)", "region": "eu-west-1", "resources": ["\(scheduleArn)"], "detail": "{}"}
        """
    }

    @Test func schedulerDefaultPayloadRefillsInStdinModeAndItsRetryIsAReplay() async throws {
        try await withLambdaHarness { harness in
            let first = try await harness.runOnce(stdin: Self.schedulerPayload(id: "a1", time: "2026-11-28T05:00:00Z"))
            #expect(first.status == 0, "\(first.logs.suffix(5))")
            #expect(first.output.first?.contains("\"status\":\"succeeded\"") == true)
            #expect(first.output.first?.contains("\"trigger\":\"scheduled\"") == true)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 1000)

            let retry = try await harness.runOnce(stdin: Self.schedulerPayload(id: "a2", time: "2026-11-28T05:00:00Z"))
            #expect(retry.status == 0)
            #expect(retry.output.first?.contains("\"replayed\":true") == true)
            #expect(try await harness.count("SELECT count(*) FROM refill_run") == 1)
        }
    }

    @Test func schedulerDefaultPayloadRefillsInLambdaMode() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch()
            let answer = try await harness.emulator.answer(for: harness.emulator.invoke(Self.schedulerPayload(id: "b1", time: "2026-11-28T06:00:00Z")))
            #expect(answer.isResponse(containing: "\"pairsInserted\":1000"))
            let other = try await harness.emulator.answer(
                for: harness.emulator.invoke(#"{"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": "{\"x\": 1}"}"#)
            )
            guard case .error(let errorType, _, let body) = other else {
                Issue.record("expected an error, got \(other)")
                return
            }
            #expect(errorType == "InvalidEvent")
            #expect(body.contains("aws.scheduler"))
            #expect(try await harness.count("SELECT count(*) FROM refill_run") == 1)
            await binary.stop()
        }
    }

    @Test func logLinesUseLambdaLevelNamesAndAnRFC3339Timestamp() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch(["AWS_LAMBDA_LOG_LEVEL": "WARN"])
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "drain"}"#))
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "status"}"#))
            let logLines = binary.logLines
            await binary.stop()
            let lines = logLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(!lines.isEmpty)
            let levels = Set(lines.compactMap { $0["level"] as? String })
            #expect(levels.isSubset(of: ["WARN", "ERROR", "FATAL"]), "levels seen: \(levels)")
            #expect(levels.contains("ERROR"))
            let timestamps = lines.compactMap { $0["timestamp"] as? String }
            #expect(timestamps.count == lines.count)
            #expect(timestamps.allSatisfy { (try? Date($0, strategy: .iso8601)) != nil || $0.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/) != nil })
        }
    }

    @Test func anUnknownLambdaLogLevelIsAnInitErrorNotASilentInfo() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch(["AWS_LAMBDA_LOG_LEVEL": "LOUD"])
            let (errorType, body) = try await harness.initError(of: binary)
            #expect(errorType == "Runtime.InvalidConfiguration")
            #expect(body.contains("AWS_LAMBDA_LOG_LEVEL"))
            await binary.stop()
        }
    }

    @Test func everyRunLineCarriesEmbeddedMetrics() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch(["METRICS_NAMESPACE": "TomePoolTest", "POOL_NAME": "cards-eu"])
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 400}"#))
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "status"}"#))
            _ = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "drain"}"#))
            let outputLines = binary.outputLines
            await binary.stop()
            let lines = outputLines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            try #require(lines.count == 3)
            for line in lines {
                let aws = try #require(line["_aws"] as? [String: Any])
                #expect(aws["Timestamp"] is Int)
                let directive = try #require((aws["CloudWatchMetrics"] as? [[String: Any]])?.first)
                #expect(directive["Namespace"] as? String == "TomePoolTest")
                #expect(directive["Dimensions"] as? [[String]] == [["Pool"]])
                #expect(line["Pool"] as? String == "cards-eu")
                // EMF: every metric the directive names has a number beside it.
                for metric in directive["Metrics"] as? [[String: String]] ?? [] {
                    #expect(line[metric["Name"] ?? ""] is NSNumber, "no value for \(metric)")
                }
            }
            #expect(lines[0]["PairsInserted"] as? Int == 400)
            #expect(lines[0]["RunFailed"] as? Int == 0)
            #expect(lines[1]["AvailablePairs"] as? Int == 400)
            #expect(lines[1]["LowWatermark"] as? Int == 250)
            #expect(lines[1]["FallbacksLastFiveMinutes"] as? Int == 0)
            #expect(lines[1]["FallbacksLastHour"] as? Int == 0)
            #expect(lines[2]["RunFailed"] as? Int == 1)
        }
    }
}

/// Lambda's errorType says what failed, so a dead-letter queue's reader can tell them apart.
@Suite("errorType by kind of failure")
struct ErrorTypeTests {
    @Test func aBadEventADatabaseFailureAndATOMEFailureHaveDifferentErrorTypes() async throws {
        try await withLambdaHarness { harness in
            let binary = try harness.launch()
            let bad = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "drain"}"#))
            #expect(bad.errorType == "InvalidEvent")
            let healthy = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 100}"#))
            #expect(healthy.isResponse(containing: "\"pairsInserted\":100"))

            var faults = FaultSettings()
            faults.errorRates = ["503": 1]
            faults.retryAfterSeconds = 0
            try harness.simulator.simulator.setFaults(faults)
            let tomeDown = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300}"#))
            #expect(tomeDown.errorType == "TOMEUnavailable", "\(tomeDown)")
            try harness.simulator.simulator.setFaults(FaultSettings())

            try await harness.database.query("DROP TABLE token_pool")
            let databaseBroken = try await harness.emulator.answer(for: harness.emulator.invoke(#"{"action": "refill", "target": 300}"#))
            #expect(databaseBroken.errorType == "DatabaseUnavailable", "\(databaseBroken)")
            await binary.stop()
        }
    }
}
