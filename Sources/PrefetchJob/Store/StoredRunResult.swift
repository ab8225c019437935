#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A finished run's result as `refill_run.result` keeps it, so that a replayed event answers what
/// the run answered: the run's summary with a format version of its own beside it. A field this
/// version does not know is ignored; one it needs and cannot find, or a newer format, is an
/// error that names the run, never a silent re-run. A change to the summary that old results
/// cannot satisfy raises the version and reads the old format here.
struct StoredRunResult: Codable {
    /// The format this program writes. Results stored before the format had a version are the
    /// summary's JSON alone, which is version 1.
    static let currentVersion = 1

    var version: Int
    var summary: RunSummary

    init(_ summary: RunSummary) {
        version = Self.currentVersion
        self.summary = summary
    }

    private enum CodingKeys: String, CodingKey {
        case version
    }

    init(from decoder: any Decoder) throws {
        version = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .version) ?? 1
        guard version <= Self.currentVersion else {
            throw StoredRunError(problem: "was stored in result format \(version) by a newer tome-prefetch; this one reads up to \(Self.currentVersion)")
        }
        summary = try RunSummary(from: decoder)
        summary.replayed = false
    }

    /// Flat, as the summary prints, with `version` beside its fields.
    func encode(to encoder: any Encoder) throws {
        try summary.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
    }

    /// Reads a stored result; anything that does not decode is an error naming the run.
    static func decode(_ json: String, runId: String) throws(StoredRunError) -> StoredRunResult {
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(StoredRunResult.self, from: Data(json.utf8))
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
