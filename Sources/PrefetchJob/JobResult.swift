/// The answer to one event, printed as one JSON line (stdin mode) or sent as the Lambda response.
public enum JobResult: Sendable {
    case refill(RunSummary)
    case status(StatusReport)
    /// The schema is at this version (`schema.sql` applied, or already in force).
    case migrated(schemaVersion: Int)
    /// The event was malformed; nothing was written.
    case rejected(String)
    /// The event was valid but could not be carried out.
    case failed(JobFailure)

    public var isSuccess: Bool {
        switch self {
        case .refill(let summary): summary.isSuccess
        case .status, .migrated: true
        case .rejected, .failed: false
        }
    }

    /// Why the event was not carried out in full; nil when it was (a held lease is an answer too).
    public var failureKind: JobFailure.Kind? {
        switch self {
        case .refill(let summary): summary.isSuccess ? nil : summary.errorKind ?? .other
        case .status, .migrated: nil
        case .rejected: .event
        case .failed(let failure): failure.kind
        }
    }

    /// The exit status of a command or stdin run that ended with this answer: 0 when done, 3 when
    /// another refill held the lease, otherwise the failure kind's code.
    public var exitCode: Int32 {
        if case .refill(let summary) = self, summary.status == .leaseHeld { return JobFailure.Kind.lease.exitCode }
        return failureKind?.exitCode ?? 0
    }

    /// One line of JSON with sorted keys.
    public func json() -> String {
        JSONLine.encode(answer)
    }

    /// What the JSON line holds: the summary, the report, or the error of a rejected or failed event.
    var answer: any Encodable {
        switch self {
        case .refill(let summary): summary
        case .status(let report): report
        case .migrated(let version): MigratedAnswer(status: "migrated", schemaVersion: version)
        case .rejected(let message): ErrorAnswer(status: "rejected", error: message, errorKind: JobFailure.Kind.event.rawValue)
        case .failed(let failure): ErrorAnswer(status: "error", error: failure.description, errorKind: failure.kind.rawValue)
        }
    }

    struct MigratedAnswer: Encodable {
        var status: String
        var schemaVersion: Int
    }

    struct ErrorAnswer: Encodable {
        var status: String
        var error: String
        var errorKind: String?
    }
}
