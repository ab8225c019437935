import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How the store's rows become values: each row type reads the columns its statement selects
/// (`RefillSQL.runColumns`, `RefillSQL.recentRuns`) in one place, so no caller handles a
/// positional tuple.
extension RunRecord {
    /// Read strictly: a trigger or status this program does not know is an error that names the
    /// run (an unknown status read as `running` would resume the run).
    init(row: PostgresRow) throws {
        let columns = try row.decode((String, String, String, String?, String, Int, Int, Int, Int, Int, Int, String?).self)
        let (runId, idempotencyKey, triggerName, reason, statusName, target, poolBefore, deficit, plannedPairs, batchSize, batchesPlanned, result) = columns
        guard let trigger = RefillRequest.Trigger(rawValue: triggerName) else {
            throw StoredRunError(runId: runId, problem: "has trigger \"\(triggerName.prefix(40))\", which this tome-prefetch does not know")
        }
        guard let status = RunStatus(rawValue: statusName) else {
            throw StoredRunError(runId: runId, problem: "has status \"\(statusName.prefix(40))\", which this tome-prefetch does not know")
        }
        self.init(
            runId: runId, idempotencyKey: idempotencyKey, trigger: trigger, reason: reason, status: status, target: target,
            poolBefore: poolBefore, deficit: deficit, plannedPairs: plannedPairs, batchSize: batchSize, batchesPlanned: batchesPlanned,
            result: result
        )
    }
}

extension RunOverview {
    /// A line of `status`'s run list; the expired pairs come from the stored summary.
    init(row: PostgresRow) throws {
        let columns = try row.decode((String, String, String, Date, Date?, Int, Int, Int, Int, Int, String?, String?, String?).self)
        let (runId, trigger, status, startedAt, finishedAt, target, plannedPairs, batchesPlanned, batchesCommitted, pairsInserted, error, reason, result) =
            columns
        self.init(
            runId: runId, trigger: trigger, status: status, startedAt: startedAt, finishedAt: finishedAt, target: target,
            plannedPairs: plannedPairs, batchesPlanned: batchesPlanned, batchesCommitted: batchesCommitted, pairsInserted: pairsInserted,
            expiredRemoved: try result.flatMap { json throws(StoredRunError) in try StoredRunResult.decode(json, runId: runId).summary.expiredRemoved },
            error: error, reason: reason
        )
    }
}
