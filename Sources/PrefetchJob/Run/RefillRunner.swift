import Logging
import PoolDatabase
import TOMEClient

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One refill: lease → idempotency key → finish unfinished plans → deficit → plan → batches → summary.
struct RefillRunner: Sendable {
    /// Expired pairs deleted per statement: small enough that each delete is a short transaction.
    static let expiryBatchSize = 1_000
    /// At most this many clean-up statements per run (a million pairs); the next run goes on.
    static let expiryMaxBatches = 1_000

    let configuration: RefillJob.Configuration
    /// The sizing policy's decision for this run: its target, unless the request overrides it.
    let sizing: SizingDecision
    let store: RefillStore
    let executor: BatchExecutor
    let holder: String
    let logger: Logger
    let progress: @Sendable (RefillProgress) -> Void

    func run(_ request: RefillRequest, deadline: ContinuousClock.Instant?) async throws -> RunSummary {
        let started = ContinuousClock.now
        var summary = try await runUntimed(request, deadline: deadline)
        if !summary.replayed {
            summary.durationMs = Int((ContinuousClock.now - started) / .milliseconds(1))
        }
        return summary
    }

    private func runUntimed(_ request: RefillRequest, deadline: ContinuousClock.Instant?) async throws -> RunSummary {
        if request.dryRun {
            return try await dryRun(request)
        }
        let key = request.idempotencyKey ?? "manual:\(UUID().uuidString.lowercased())"
        if let earlier = try await store.findRun(key: key), let replay = try Self.replay(earlier) {
            logger.info("event replayed: returning the earlier run's result", metadata: [JobLogKey.runId: "\(earlier.runId)"])
            return replay
        }
        let runId = UUID().uuidString.lowercased()
        let lease = RefillLease(store: store, holder: holder, timeToLive: configuration.leaseTimeToLive, logger: logger)
        let outcome = try await lease.withLease(runId: runId) { leaseState in
            try await fill(request, key: key, runId: runId, deadline: deadline, lease: leaseState)
        }
        switch outcome {
        case .success(let summary):
            return summary
        case .failure(let held):
            var summary = RunSummary(trigger: request.trigger, status: .leaseHeld)
            summary.idempotencyKey = key
            summary.leaseHolder = held.holder
            summary.error = "another refill (\(held.holder.holder)) holds the lease; nothing was done"
            logger.notice("another refill holds the lease", metadata: ["holder": "\(held.holder.holder)"])
            return summary
        }
    }

    /// Runs under the lease: nobody else is filling.
    private func fill(
        _ request: RefillRequest, key: String, runId: String, deadline: ContinuousClock.Instant?, lease: RefillLease.State
    ) async throws -> RunSummary {
        // Looked up again under the lease: a run with this key may have finished meanwhile.
        let earlier = try await store.findRun(key: key)
        if let earlier, let replay = try Self.replay(earlier) { return replay }
        // Expired pairs are never handed out; deleting them keeps the table (and `status`) honest.
        let expiredRemoved = try await store.removeExpired(
            batchSize: Self.expiryBatchSize, maxBatches: Self.expiryMaxBatches
        )
        if expiredRemoved > 0 {
            logger.info("expired pairs removed", metadata: ["expired_removed": "\(expiredRemoved)"])
        }
        let poolBefore = try await store.availableCount()
        let resumed = try await finishUnfinishedRuns(deadline: deadline, lease: lease)
        if let earlier {
            // This key's own run was unfinished and has just been finished: its result is the answer.
            var summary = try await storedSummary(of: earlier)
            summary.resumed = resumed
            summary.expiredRemoved = expiredRemoved
            return summary
        }

        // Batches that earlier runs could not finish just now are still theirs: not planned twice.
        let plan = RefillPlan(
            request: request, sizing: sizing, configuration: configuration, available: try await store.availableCount(),
            pending: try await store.pendingPairs()
        )
        let record = RunRecord(
            runId: runId, idempotencyKey: key, trigger: request.trigger, reason: request.reason, status: .running,
            target: plan.target, poolBefore: poolBefore, deficit: plan.deficit, plannedPairs: plan.plannedPairs,
            batchSize: plan.batchSize, batchesPlanned: plan.batches.batchCount, result: nil
        )
        try await store.insertRun(record)
        logger.info(
            "refill planned",
            metadata: [
                JobLogKey.runId: "\(runId)", "target": "\(plan.target)", "available": "\(plan.available)",
                "deficit": "\(plan.deficit)", "batches": "\(plan.batches.batchCount)",
            ]
        )
        let batches = plan.batches.batches(runId: runId)
        let execution = await execute(batches, deadline: deadline, lease: lease)
        var summary = try await finish(record, execution: execution, expiredRemoved: expiredRemoved, sizing: sizing)
        summary.resumed = resumed
        return summary
    }

    /// Finishes every earlier run whose plan has batches not yet committed, with that run's own
    /// request ids, so every token TOME issued for those batches ends up in the pool.
    private func finishUnfinishedRuns(deadline: ContinuousClock.Instant?, lease: RefillLease.State) async throws -> ResumedWork? {
        let runs = try await store.unfinishedRuns()
        guard !runs.isEmpty else { return nil }
        var work = ResumedWork(runIds: [], batchesCommitted: 0, pairsInserted: 0, batchesFailed: 0)
        for run in runs {
            let pending = run.plan.batches(runId: run.runId, except: try await store.committedBatchNumbers(runId: run.runId))
            if !pending.isEmpty {
                logger.notice(
                    "finishing an unfinished run first",
                    metadata: [JobLogKey.runId: "\(run.runId)", "pending_batches": "\(pending.count)"]
                )
            }
            let execution = await execute(pending, deadline: deadline, lease: lease)
            _ = try await finish(run, execution: execution)
            work.runIds.append(run.runId)
            work.batchesCommitted += execution.committed
            work.pairsInserted += execution.inserted
            work.batchesFailed += execution.failed
        }
        return work
    }

    /// Runs batches with at most `concurrency` in flight, as the scheduler decides.
    private func execute(_ batches: [PlannedBatch], deadline: ContinuousClock.Instant?, lease: RefillLease.State) async -> Execution {
        var execution = Execution()
        guard !batches.isEmpty else { return execution }
        var scheduler = BatchScheduler(
            batches: batches, concurrency: configuration.sizing.concurrency, deadline: deadline, margin: configuration.deadlineMargin
        )
        let total = batches.count
        await withTaskGroup(of: BatchExecutor.FinishedBatch.self) { group in
            while true {
                if lease.isLost { scheduler.leaseLost() }
                switch scheduler.next(now: .now) {
                case .start(let batch):
                    group.addTask { await executor.run(batch) }
                case .waitForCompletion:
                    guard let outcome = await group.next() else { return }
                    scheduler.completed(succeeded: outcome.succeeded, duration: outcome.duration)
                    execution.record(outcome)
                    progress(RefillProgress(runId: outcome.batch.runId, batchesDone: execution.done, batchesTotal: total, pairsInserted: execution.inserted))
                case .finished:
                    return
                }
            }
        }
        execution.stopReason = scheduler.stopReason
        return execution
    }

    /// Records how the run ended, from its batch rows, and returns its summary.
    /// The run's own summary carries its sizing decision, which the top-ups after it update.
    private func finish(_ run: RunRecord, execution: Execution, expiredRemoved: Int? = nil, sizing: SizingDecision? = nil) async throws -> RunSummary {
        let totals = try await store.runTotals(runId: run.runId)
        let poolAfter = try await store.availableCount()
        var summary = RunSummary(
            finished: run, totals: totals, poolAfter: poolAfter, tomeCalls: execution.tomeCalls, expiredRemoved: expiredRemoved,
            failureKind: execution.failureKind, explanation: execution.explanation(remaining: run.batchesPlanned - totals.batches, deadlineMargin: configuration.deadlineMargin)
        )
        if let sizing { summary.describe(sizing, poolAfter: poolAfter) }
        let status = summary.runStatus
        try await store.finishRun(runId: run.runId, status: status, poolAfter: poolAfter, error: summary.error, result: StoredRunResult(summary).json())
        logger.info(
            "refill finished",
            metadata: [
                JobLogKey.runId: "\(run.runId)", JobLogKey.status: "\(status.rawValue)",
                JobLogKey.pairsInserted: "\(totals.inserted)", "pool_after": "\(poolAfter)",
            ]
        )
        return summary
    }

    /// The plan as it stands, and the earlier runs' batches that would be finished first; writes nothing.
    private func dryRun(_ request: RefillRequest) async throws -> RunSummary {
        var pendingBatches = 0
        for run in try await store.unfinishedRuns() {
            pendingBatches += run.batchesPlanned - (try await store.committedBatchNumbers(runId: run.runId)).count
        }
        // What the run would plan once it has finished them, as if they all commit.
        let plan = RefillPlan(
            request: request, sizing: sizing, configuration: configuration, available: try await store.availableCount(),
            pending: try await store.pendingPairs()
        )
        var summary = RunSummary(trigger: request.trigger, status: .dryRun)
        summary.describe(sizing, poolAfter: plan.available)
        summary.dryRun = true
        summary.idempotencyKey = request.idempotencyKey
        summary.poolBefore = plan.available
        summary.poolAfter = plan.available
        summary.target = plan.target
        summary.deficit = plan.deficit
        summary.plannedPairs = plan.plannedPairs
        summary.batchesPlanned = plan.batches.batchCount
        if pendingBatches > 0 {
            summary.error = "\(pendingBatches) batches of earlier unfinished runs (\(plan.pending) pairs) would be finished first"
        }
        return summary
    }

    /// The result `finish` just stored for a resumed run (succeeded, or still partial).
    private func storedSummary(of run: RunRecord) async throws -> RunSummary {
        guard let refreshed = try await store.findRun(key: run.idempotencyKey), let json = refreshed.result else {
            throw StoredRunError(runId: run.runId, problem: "has no stored result after it was finished")
        }
        return try StoredRunResult.decode(json, runId: run.runId).summary
    }

    /// The stored result of a finished run, marked as replayed; nil when the run is unfinished.
    /// A stored result that does not decode is an error naming the run, never a silent re-run.
    static func replay(_ run: RunRecord) throws -> RunSummary? {
        guard run.status != .running, let json = run.result else { return nil }
        // A partial or failed run is finished by whichever run comes next; until then its key resumes it.
        guard run.status == .succeeded || run.batchesPlanned == 0 else { return nil }
        var summary = try StoredRunResult.decode(json, runId: run.runId).summary
        summary.replayed = true
        summary.tomeCalls = 0
        return summary
    }
}

/// Progress of a run's batches, for a progress bar or progress lines.
public struct RefillProgress: Sendable {
    public var runId: String
    public var batchesDone: Int
    public var batchesTotal: Int
    public var pairsInserted: Int
}
