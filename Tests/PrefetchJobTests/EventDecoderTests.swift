import Foundation
import PrefetchJob
import Testing

@Suite("Event decoding")
struct EventDecoderTests {
    private func decode(_ text: String) throws -> JobEvent {
        try EventDecoder.decode(Array(text.utf8))
    }

    @Test func eventBridgeRuleScheduledEvent() throws {
        // The shape AWS documents for a rule with a schedule expression and no custom input.
        let event = """
            {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event",
             "source": "aws.events", "account": "123456789012", "time": "2026-11-28T04:00:00Z", "region": "eu-west-1",
             "resources": ["arn:aws:events:eu-west-1:123456789012:rule/tome-prefetch-hourly"], "detail": {}}
            """
        #expect(try decode(event) == .refill(RefillRequest(trigger: .scheduled, idempotencyKey: "eventbridge:53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa")))
    }

    @Test func eventBridgeSchedulerInputKeysRetriesOfOneFiringTogether() throws {
        let attempt1 = """
            {"action": "refill", "trigger": "scheduled", "scheduledTime": "2026-11-28T04:00:00Z",
             "scheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch", "executionId": "d32c5kddcf5bb8c3", "attempt": "1"}
            """
        let attempt2 = attempt1.replacingOccurrences(of: "d32c5kddcf5bb8c3", with: "e11f0aa0be55c0de").replacingOccurrences(of: "\"1\"", with: "\"2\"")
        guard case .refill(let first) = try decode(attempt1), case .refill(let second) = try decode(attempt2) else {
            Issue.record("not a refill")
            return
        }
        #expect(first.trigger == .scheduled)
        #expect(first.idempotencyKey == "scheduler:arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch@2026-11-28T04:00:00Z")
        #expect(first.idempotencyKey == second.idempotencyKey)
    }

    @Test func topUpFromTheSchedulerIsKeyedByFiringAndTakesNoTarget() throws {
        let event = """
            {"action": "top-up", "scheduledTime": "2026-11-28T04:05:00Z",
             "scheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch-top-up", "executionId": "x1", "attempt": 1}
            """
        guard case .topUp(let request) = try decode(event) else {
            Issue.record("not a top-up")
            return
        }
        #expect(request.trigger == .topUp)
        #expect(request.idempotencyKey == "scheduler:arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch-top-up@2026-11-28T04:05:00Z")
        #expect(try decode(#"{"action": "top-up", "dryRun": true}"#) == .topUp(RefillRequest(trigger: .topUp, dryRun: true)))
        for bad in [#"{"action": "top-up", "target": 5}"#, #"{"action": "top-up", "trigger": "manual"}"#, #"{"action": "refill", "trigger": "top-up"}"#] {
            #expect(throws: JobFailure.self) { try decode(bad) }
        }
    }

    @Test func manualRefillAndStatus() throws {
        #expect(try decode("{}") == .refill(RefillRequest()))
        #expect(try decode(#"{"action": "status"}"#) == .status)
        #expect(try decode(#"{"action": "migrate"}"#) == .migrate)
        let manual = #"{"action": "refill", "target": 5000, "maxPairs": 1000, "dryRun": true, "reason": "incident 42", "idempotencyKey": "oncall-1"}"#
        #expect(
            try decode(manual)
                == .refill(RefillRequest(trigger: .manual, idempotencyKey: "oncall-1", target: 5000, maxPairs: 1000, dryRun: true, reason: "incident 42"))
        )
    }

    @Test(arguments: [
        ("", "not valid JSON"),
        ("{\"action\": ", "not valid JSON"),
        (#"{"action": "status",}"#, "not valid JSON"),
        (String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000), "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got an array"),
        ("\"refill\"", "must be a JSON object, got a string"),
        (#"{"action": "drain"}"#, "unknown action \"drain\""),
        (#"{"action": 7}"#, "\"action\" must be a string"),
        (#"{"action": "refill", "maxpairs": 10}"#, "unknown field \"maxpairs\""),
        (#"{"target": "lots"}"#, "\"target\" must be a whole number, got a string"),
        (#"{"target": 1.5}"#, "\"target\" must be a whole number"),
        (#"{"target": -3}"#, "\"target\" must be between 0"),
        (#"{"maxPairs": 0}"#, "\"maxPairs\" must be between 1"),
        (#"{"dryRun": "yes"}"#, "\"dryRun\" must be true or false"),
        (#"{"idempotencyKey": ""}"#, "\"idempotencyKey\" must be a non-empty"),
        (#"{"action": "status", "target": 3}"#, "a status event takes no fields"),
        (#"{"action": "migrate", "dryRun": true}"#, "a migrate event takes no fields"),
        (#"{"trigger": "scheduled"}"#, "needs \"scheduledTime\" or \"idempotencyKey\""),
        (#"{"scheduledTime": "<aws.scheduler.scheduled-time>"}"#, "was not filled in"),
        (#"{"source": "aws.events", "detail-type": "EC2 Instance State-change Notification", "id": "x"}"#, "Scheduled Event"),
        (#"{"source": "aws.events", "detail-type": "Scheduled Event"}"#, "no \"id\""),
    ])
    func malformedEventsAreRejectedNamingTheProblem(input: String, expected: String) {
        let error = #expect(throws: JobFailure.self) { try decode(input) }
        #expect(error?.kind == .event)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }

    @Test func oversizedEventsAreRejectedBeforeParsing() {
        let huge = "{\"reason\": \"" + String(repeating: "a", count: 70_000) + "\"}"
        let error = #expect(throws: JobFailure.self) { try decode(huge) }
        #expect(error?.description.contains("limit") == true)
    }

    @Test func stdinIsOneDocumentOrOneEventPerLine() {
        let pretty = "{\n  \"action\": \"refill\",\n  \"target\": 10\n}\n"
        #expect(StdinEvents.split(Array(pretty.utf8)).count == 1)
        let lines = "{\"action\": \"status\"}\n\n{\"target\": 5}\n{\"action\": \"bogus\"}\n"
        #expect(StdinEvents.split(Array(lines.utf8)).map { String(decoding: $0, as: UTF8.self) } == [
            "{\"action\": \"status\"}", "{\"target\": 5}", "{\"action\": \"bogus\"}",
        ])
        #expect(StdinEvents.split(Array("  \n ".utf8)).isEmpty)
        #expect(StdinEvents.split(Array("not json".utf8)).count == 1)
    }
}
