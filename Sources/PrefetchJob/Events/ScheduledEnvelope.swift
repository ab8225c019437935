import TOMEWire

/// The envelopes AWS sends when a schedule fires without an `Input` of ours: an EventBridge
/// rule's scheduled event and EventBridge Scheduler's default payload. Both become a scheduled
/// refill whose idempotency key is the same in every retry of one firing.
///
/// ```
/// {"version": "0", "id": "…", "detail-type": "Scheduled Event", "source": "aws.scheduler",
///  "account": "123456789012", "time": "2026-11-28T05:00:00Z", "region": "eu-west-1",
///  "resources": ["arn:aws:scheduler:eu-west-1:123456789012:schedule/default/hourly"], "detail": "{}"}
/// ```
enum ScheduledEnvelope {
    enum Source: String {
        case rule = "aws.events"
        case scheduler = "aws.scheduler"
    }

    static let fields: Set<String> = ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]

    static func decode(_ fields: [String: JSONValue], source: Source) throws(JobFailure) -> JobEvent {
        let origin = "an event from \(source.rawValue)"
        if let unknown = fields.keys.sorted().first(where: { !Self.fields.contains($0) }) {
            throw JobFailure.event("unknown field \"\(unknown.prefix(40))\" in \(origin); known fields: \(Self.fields.sorted().joined(separator: ", "))")
        }
        guard case .string("Scheduled Event") = fields["detail-type"] else {
            throw JobFailure.event("\(origin) must have \"detail-type\": \"Scheduled Event\"; this job handles no other")
        }
        try requireEmptyDetail(fields["detail"], origin: origin)
        switch source {
        case .rule:
            // A rule's event id is kept across EventBridge's own retries of one delivery.
            guard case .string(let id) = fields["id"], !id.isEmpty, id.count <= 200 else {
                throw JobFailure.event("\(origin) has no \"id\" string")
            }
            return .refill(RefillRequest(trigger: .scheduled, idempotencyKey: "eventbridge:\(id)"))
        case .scheduler:
            // Scheduler gives every attempt a new id; the schedule and its firing time stay the same.
            guard case .array(let resources) = fields["resources"], resources.count == 1,
                case .string(let arn) = resources[0], arn.hasPrefix("arn:"), arn.contains(":schedule/"), arn.count <= 512
            else {
                throw JobFailure.event("\(origin) must name its schedule: \"resources\" must hold the schedule's ARN")
            }
            guard let time = try EventDecoder.string(fields, "time", maxLength: 64), isTimestamp(time) else {
                throw JobFailure.event("\(origin) must have a \"time\" (an RFC 3339 UTC time such as 2026-11-28T05:00:00Z)")
            }
            return .refill(RefillRequest(trigger: .scheduled, idempotencyKey: "scheduler:\(arn)@\(time)"))
        }
    }

    /// The envelope carries no settings: `detail` is `{}`, or the string `"{}"` as Scheduler sends
    /// it. A schedule that wants settings gives the job an `Input` of its own instead.
    private static func requireEmptyDetail(_ detail: JSONValue?, origin: String) throws(JobFailure) {
        switch detail {
        case nil:
            return
        case .object(let object)? where object.isEmpty:
            return
        case .string(let text)? where text.filter({ !$0.isWhitespace }) == "{}":
            return
        default:
            throw JobFailure.event("\(origin) must have an empty \"detail\"; to pass settings, give the schedule an Input such as {\"action\": \"refill\", …}")
        }
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, optionally with fractional seconds: what EventBridge puts in `time`.
    private static func isTimestamp(_ text: String) -> Bool {
        let characters = Array(text.utf8)
        guard characters.count >= 20, characters.last == UInt8(ascii: "Z") else { return false }
        let pattern = Array("0000-00-00T00:00:00".utf8)
        for (index, expected) in pattern.enumerated() {
            let character = characters[index]
            if expected == UInt8(ascii: "0") {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) else { return false }
            } else if character != expected {
                return false
            }
        }
        let rest = characters[pattern.count..<(characters.count - 1)]
        guard !rest.isEmpty else { return true }
        return rest.first == UInt8(ascii: ".") && rest.count > 1 && rest.dropFirst().allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
