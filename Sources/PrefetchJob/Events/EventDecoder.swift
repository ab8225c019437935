import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turns the bytes of one event into a `JobEvent`, or a `JobFailure` of kind `event` that says what is wrong.
///
/// Accepted shapes, as AWS and on-call send them:
/// - an EventBridge rule's scheduled event (`"source": "aws.events"`, `"detail-type": "Scheduled Event"`):
///   a scheduled refill whose idempotency key is the event's `id`, which AWS keeps across its retries;
/// - EventBridge Scheduler's default payload, sent by a schedule without an `Input`
///   (`"source": "aws.scheduler"`, the schedule's ARN in `resources`, `detail` the string `"{}"`):
///   a scheduled refill keyed by schedule ARN and the event's `time`, the same in every retry of one firing;
/// - a custom Input from EventBridge Scheduler or a rule: `{"action": "refill", "trigger": "scheduled",
///   "scheduledTime": "<aws.scheduler.scheduled-time>", "scheduleArn": "<aws.scheduler.schedule-arn>"}`,
///   keyed by schedule and scheduled time, which stay the same across retries of one firing;
/// - a manual refill `{"action": "refill", "target", "maxPairs", "dryRun", "reason", "idempotencyKey"}`
///   (every field optional; `{}`, what a bare invoke sends, is a default refill);
/// - a top-up `{"action": "top-up", "scheduledTime", "scheduleArn", "dryRun", "reason", "idempotencyKey", "maxPairs"}`,
///   keyed like a scheduled refill, refilling only below the low watermark;
/// - `{"action": "status"}` and `{"action": "migrate"}`.
public enum EventDecoder {
    /// Events larger than this are refused before parsing.
    public static let maxEventBytes = 64 * 1024

    static let refillFields: Set<String> = [
        "action", "trigger", "target", "maxPairs", "dryRun", "reason", "idempotencyKey",
        "scheduledTime", "scheduleArn", "executionId", "attempt",
    ]

    public static func decode(_ bytes: some Collection<UInt8>) throws(JobFailure) -> JobEvent {
        guard bytes.count <= maxEventBytes else {
            throw JobFailure.event("the event is \(bytes.count) bytes; the limit is \(maxEventBytes)")
        }
        // Foundation's decoder would also take trailing commas; events are strict JSON.
        guard StrictJSON.isValid(bytes) else {
            throw JobFailure.event("the event is not valid JSON (RFC 8259, nested at most \(StrictJSON.maxDepth) deep)")
        }
        let document: JSONValue
        do {
            document = try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
        } catch {
            throw JobFailure.event("the event is not valid JSON")
        }
        guard case .object(let fields) = document else {
            throw JobFailure.event("the event must be a JSON object, got \(document.typeName)")
        }
        switch fields["source"] {
        case .string("aws.events"): return try ScheduledEnvelope.decode(fields, source: .rule)
        case .string("aws.scheduler"): return try ScheduledEnvelope.decode(fields, source: .scheduler)
        default: break
        }
        let action: String
        switch fields["action"] {
        case nil: action = "refill"
        case .string(let name): action = name
        case let other?: throw JobFailure.event("\"action\" must be a string, got \(other.typeName)")
        }
        switch action {
        case "status", "migrate":
            if let extra = fields.keys.sorted().first(where: { $0 != "action" }) {
                throw JobFailure.event("a \(action) event takes no fields, got \"\(extra.prefix(40))\"")
            }
            return action == "status" ? .status : .migrate
        case "refill":
            return .refill(try refill(fields))
        case "top-up":
            // The target is the sizing policy's; a top-up is never a manual override of it.
            for field in ["target", "trigger"] where fields[field] != nil {
                throw JobFailure.event("a top-up event takes no \"\(field)\": it fills to the sizing policy's target")
            }
            var request = try refill(fields)
            request.trigger = .topUp
            return .topUp(request)
        default:
            throw JobFailure.event("unknown action \"\(action.prefix(40))\"; use \"refill\", \"top-up\", \"status\" or \"migrate\"")
        }
    }

    private static func refill(_ fields: [String: JSONValue]) throws(JobFailure) -> RefillRequest {
        if let unknown = fields.keys.sorted().first(where: { !refillFields.contains($0) }) {
            throw JobFailure.event(
                "unknown field \"\(unknown.prefix(40))\" in a refill event; known fields: "
                    + refillFields.sorted().joined(separator: ", ")
            )
        }
        var request = RefillRequest()
        if let trigger = try string(fields, "trigger", maxLength: 20) {
            guard let parsed = RefillRequest.Trigger(rawValue: trigger), parsed != .topUp else {
                throw JobFailure.event("\"trigger\" must be \"scheduled\" or \"manual\"")
            }
            request.trigger = parsed
        }
        request.target = try integer(fields, "target", in: 0...50_000_000)
        request.maxPairs = try integer(fields, "maxPairs", in: 1...50_000_000)
        if let value = fields["dryRun"] {
            guard case .bool(let dryRun) = value else { throw JobFailure.event("\"dryRun\" must be true or false, got \(value.typeName)") }
            request.dryRun = dryRun
        }
        request.reason = try string(fields, "reason", maxLength: 500)
        request.idempotencyKey = try string(fields, "idempotencyKey", maxLength: 200)
        _ = try string(fields, "executionId", maxLength: 200)
        if let attempt = fields["attempt"] {
            switch attempt {
            case .number, .string: break
            default: throw JobFailure.event("\"attempt\" must be a number, got \(attempt.typeName)")
            }
        }
        let scheduledTime = try string(fields, "scheduledTime", maxLength: 64)
        let scheduleArn = try string(fields, "scheduleArn", maxLength: 512)
        if let scheduledTime {
            if scheduledTime.hasPrefix("<aws.") {
                throw JobFailure.event("\"scheduledTime\" was not filled in: the schedule's Input is not templated by EventBridge Scheduler")
            }
            request.trigger = .scheduled
            // Every retry of one firing carries the same schedule and time, so it finds the same run.
            request.idempotencyKey = request.idempotencyKey ?? "scheduler:\(scheduleArn ?? "default")@\(scheduledTime)"
        } else if request.trigger == .scheduled && request.idempotencyKey == nil {
            throw JobFailure.event("a scheduled refill needs \"scheduledTime\" or \"idempotencyKey\", so that retries are recognised")
        }
        if let key = request.idempotencyKey, key.isEmpty || key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw JobFailure.event("\"idempotencyKey\" must be a non-empty printable string")
        }
        return request
    }

    static func string(_ fields: [String: JSONValue], _ name: String, maxLength: Int) throws(JobFailure) -> String? {
        guard let value = fields[name] else { return nil }
        guard case .string(let text) = value else { throw JobFailure.event("\"\(name)\" must be a string, got \(value.typeName)") }
        guard text.count <= maxLength else { throw JobFailure.event("\"\(name)\" is longer than \(maxLength) characters") }
        return text
    }

    private static func integer(_ fields: [String: JSONValue], _ name: String, in range: ClosedRange<Int>) throws(JobFailure) -> Int? {
        guard let value = fields[name] else { return nil }
        guard case .number(let number) = value, number.rounded() == number, let whole = Int(exactly: number) else {
            throw JobFailure.event("\"\(name)\" must be a whole number, got \(value.typeName)")
        }
        guard range.contains(whole) else {
            throw JobFailure.event("\"\(name)\" must be between \(range.lowerBound) and \(range.upperBound), got \(whole)")
        }
        return whole
    }
}
