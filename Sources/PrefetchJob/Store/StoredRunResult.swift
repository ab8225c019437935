#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A finished run's result as `refill_run.result` keeps it, so that a replayed event answers what
/// the run answered. Its own versioned type, apart from the printed `RunSummary`: the summary can
/// gain fields, and results stored by older versions still replay (a field this version does not
/// know is ignored, one it needs and cannot find is an error that names the run).
struct StoredRunResult: Codable, Equatable {
    /// The format this program writes. Version 1 is also what results stored before the format
    /// had a version look like (the summary's own JSON).
    static let currentVersion = 1

    var version: Int
    var runId: String?
    var idempotencyKey: String?
    var trigger: RefillRequest.Trigger
    var status: RunSummary.Outcome
    var poolBefore: Int?
    var poolAfter: Int?
    var target: Int?
    var deficit: Int?
    var plannedPairs: Int?
    var batchesPlanned: Int
    var batchesCommitted: Int
    var pairsInserted: Int
    var duplicatesSkipped: Int
    var tomeCalls: Int
    var durationMs: Int
    var expiredRemoved: Int?
    var resumed: ResumedWork?
    var error: String?
    var errorKind: JobFailure.Kind?

    init(_ summary: RunSummary) {
        version = Self.currentVersion
        runId = summary.runId
        idempotencyKey = summary.idempotencyKey
        trigger = summary.trigger
        status = summary.status
        poolBefore = summary.poolBefore
        poolAfter = summary.poolAfter
        target = summary.target
        deficit = summary.deficit
        plannedPairs = summary.plannedPairs
        batchesPlanned = summary.batchesPlanned
        batchesCommitted = summary.batchesCommitted
        pairsInserted = summary.pairsInserted
        duplicatesSkipped = summary.duplicatesSkipped
        tomeCalls = summary.tomeCalls
        durationMs = summary.durationMs
        expiredRemoved = summary.expiredRemoved
        resumed = summary.resumed
        error = summary.error
        errorKind = summary.errorKind
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard version <= Self.currentVersion else {
            throw StoredRunError(problem: "was stored in result format \(version) by a newer tome-prefetch; this one reads up to \(Self.currentVersion)")
        }
        runId = try container.decodeIfPresent(String.self, forKey: .runId)
        idempotencyKey = try container.decodeIfPresent(String.self, forKey: .idempotencyKey)
        trigger = try container.decode(RefillRequest.Trigger.self, forKey: .trigger)
        status = try container.decode(RunSummary.Outcome.self, forKey: .status)
        poolBefore = try container.decodeIfPresent(Int.self, forKey: .poolBefore)
        poolAfter = try container.decodeIfPresent(Int.self, forKey: .poolAfter)
        target = try container.decodeIfPresent(Int.self, forKey: .target)
        deficit = try container.decodeIfPresent(Int.self, forKey: .deficit)
        plannedPairs = try container.decodeIfPresent(Int.self, forKey: .plannedPairs)
        batchesPlanned = try container.decode(Int.self, forKey: .batchesPlanned)
        batchesCommitted = try container.decode(Int.self, forKey: .batchesCommitted)
        pairsInserted = try container.decode(Int.self, forKey: .pairsInserted)
        duplicatesSkipped = try container.decode(Int.self, forKey: .duplicatesSkipped)
        tomeCalls = try container.decode(Int.self, forKey: .tomeCalls)
        durationMs = try container.decode(Int.self, forKey: .durationMs)
        expiredRemoved = try container.decodeIfPresent(Int.self, forKey: .expiredRemoved)
        resumed = try container.decodeIfPresent(ResumedWork.self, forKey: .resumed)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        errorKind = try container.decodeIfPresent(JobFailure.Kind.self, forKey: .errorKind)
    }

    /// Reads a stored result; anything that does not decode is an error naming the run.
    static func decode(_ json: String, runId: String) throws(StoredRunError) -> StoredRunResult {
        do {
            return try JSONDecoder().decode(StoredRunResult.self, from: Data(json.utf8))
        } catch let error as StoredRunError {
            throw StoredRunError(runId: runId, problem: error.problem)
        } catch {
            throw StoredRunError(runId: runId, problem: "has a stored result that does not decode (\(Self.explain(error)))")
        }
    }

    /// The JSON kept in `refill_run.result`.
    func json() -> String {
        JSONLine.encode(self)
    }

    /// The answer the run gave, as a replay returns it.
    var summary: RunSummary {
        var summary = RunSummary(trigger: trigger, status: status)
        summary.runId = runId
        summary.idempotencyKey = idempotencyKey
        summary.poolBefore = poolBefore
        summary.poolAfter = poolAfter
        summary.target = target
        summary.deficit = deficit
        summary.plannedPairs = plannedPairs
        summary.batchesPlanned = batchesPlanned
        summary.batchesCommitted = batchesCommitted
        summary.pairsInserted = pairsInserted
        summary.duplicatesSkipped = duplicatesSkipped
        summary.tomeCalls = tomeCalls
        summary.durationMs = durationMs
        summary.expiredRemoved = expiredRemoved
        summary.resumed = resumed
        summary.error = error
        summary.errorKind = errorKind
        return summary
    }

    /// Which field was missing or of the wrong type, without quoting the stored text.
    private static func explain(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no \"\(key.stringValue)\""
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type"
        case DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty:
            "\"\(context.codingPath.map(\.stringValue).joined(separator: "."))\" holds an unknown value"
        default: "not JSON of the stored result's shape"
        }
    }
}

/// A `refill_run` row or its stored result that this program cannot read. The job stops and
/// names the run rather than guess (an unknown status read as `running` would resume the run).
struct StoredRunError: Error, Sendable, CustomStringConvertible {
    var runId: String?
    var problem: String

    init(runId: String? = nil, problem: String) {
        self.runId = runId
        self.problem = problem
    }

    var description: String {
        "run \(runId ?? "?") in refill_run \(problem); fix or remove the row (see the runbook), or run a tome-prefetch that knows it"
    }
}
