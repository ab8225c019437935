import Foundation
import PrefetchJob
import Testing

/// EventBridge Scheduler's default payload: what a schedule without an Input sends.
@Suite("Scheduler's default payload")
struct ScheduledEnvelopeTests {
    static let arn = "arn:aws:scheduler:eu-west-1:123456789012:schedule/default/tome-prefetch-hourly"

    /// The envelope as Scheduler sends it: a new `id` per attempt, `detail` as the string "{}".
    static func envelope(id: String = "7f1c6a2e-0b1d-4b6e-9a4f-2f0e1d3c4b5a", time: String = "2026-11-28T05:00:00Z", detail: String = #""{}""#) -> String {
        """
        {"version": "0", "id": "\(id)", "detail-type": "Scheduled Event", "source": "aws.scheduler",
         "account": "123456789012", "time": "\(time)", "region": "eu-west-1",
         "resources": ["\(arn)"], "detail": \(detail)}
        """
    }

    private func decode(_ text: String) throws -> JobEvent {
        try EventDecoder.decode(Array(text.utf8))
    }

    @Test(arguments: [#""{}""#, "{}"])
    func isAScheduledRefillKeyedByScheduleAndTime(detail: String) throws {
        let expected = JobEvent.refill(RefillRequest(trigger: .scheduled, idempotencyKey: "scheduler:\(Self.arn)@2026-11-28T05:00:00Z"))
        #expect(try decode(Self.envelope(detail: detail)) == expected)
    }

    @Test func everyRetryOfOneFiringHasTheSameKeyAndTheNextFiringAnother() throws {
        let first = try decode(Self.envelope(id: "a"))
        let retry = try decode(Self.envelope(id: "b"))
        let nextHour = try decode(Self.envelope(id: "c", time: "2026-11-28T06:00:00Z"))
        #expect(first == retry)
        #expect(first != nextHour)
    }

    @Test(arguments: [
        (#"{"version":"0","id":"x","detail-type":"Object Created","source":"aws.scheduler","time":"2026-11-28T05:00:00Z","resources":["\#(arn)"],"detail":"{}"}"#, "\"detail-type\": \"Scheduled Event\""),
        (#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-11-28T05:00:00Z","resources":[],"detail":"{}"}"#, "schedule's ARN"),
        (#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"yesterday","resources":["\#(arn)"],"detail":"{}"}"#, "\"time\""),
        (#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-11-28T05:00:00Z","resources":["\#(arn)"],"detail":"{\"action\":\"drain\"}"}"#, "empty \"detail\""),
        (#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.scheduler","time":"2026-11-28T05:00:00Z","resources":["\#(arn)"],"detail":"{}","action":"refill"}"#, "unknown field \"action\" in an event from aws.scheduler"),
        (#"{"version":"0","id":"x","detail-type":"EC2 Instance State-change Notification","source":"aws.events","detail":{}}"#, "aws.events must have \"detail-type\""),
    ])
    func anythingElseFromAWSIsRejectedNamingWhatIsWrong(event: String, expected: String) throws {
        let error = #expect(throws: JobFailure.self) { try decode(event) }
        #expect(error?.kind == .event)
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "no error")")
    }
}
