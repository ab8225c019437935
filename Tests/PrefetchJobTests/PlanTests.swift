@testable import PrefetchJob
import Testing

@Suite("Deficit, plan and batch scheduling")
struct PlanTests {
    @Test(arguments: [
        // target, available, cap, deficit, planned
        (1_000, 0, 100_000, 1_000, 1_000),
        (1_000, 400, 100_000, 600, 600),
        (1_000, 1_000, 100_000, 0, 0),
        (1_000, 1_500, 100_000, 0, 0),
        (0, 0, 100_000, 0, 0),
        (100_000, 0, 30_000, 100_000, 30_000),
    ])
    func deficit(target: Int, available: Int, cap: Int, deficit: Int, planned: Int) {
        let plan = RefillPlan(target: target, available: available, cap: cap, batchSize: 100)
        #expect(plan.deficit == deficit)
        #expect(plan.plannedPairs == planned)
        #expect(plan.batches.plannedPairs == planned)
    }

    @Test func pairsOnTheirWayFromUnfinishedRunsAreNotPlannedAgain() {
        let plan = RefillPlan(target: 1_000, available: 400, pending: 300, cap: 100_000, batchSize: 100)
        #expect(plan.deficit == 300)
        #expect(RefillPlan(target: 1_000, available: 400, pending: 900, cap: 100_000, batchSize: 100).deficit == 0)
    }

    @Test func batchesCoverThePlanExactly() {
        let plan = BatchPlan(plannedPairs: 1_050, batchSize: 100)
        #expect(plan.batchCount == 11)
        #expect((0..<plan.batchCount).map(plan.size(ofBatch:)).reduce(0, +) == 1_050)
        #expect(plan.size(ofBatch: 10) == 50)
        #expect(plan.batches(runId: "r", except: [0, 10]).map(\.number) == Array(1...9))
        #expect(BatchPlan(plannedPairs: 0, batchSize: 100).batchCount == 0)
        #expect(BatchPlan(plannedPairs: 100, batchSize: 100).batchCount == 1)
    }

    @Test func requestIdsAreStablePerRunAndBatch() {
        let batch = PlannedBatch(runId: "run-1", number: 3, size: 100)
        #expect(batch.requestId == "run-1-3")
        #expect(PlannedBatch(runId: "run-1", number: 3, size: 100).requestId == batch.requestId)
        #expect(PlannedBatch(runId: "run-2", number: 3, size: 100).requestId != batch.requestId)
    }

    private func batches(_ count: Int) -> [PlannedBatch] {
        (0..<count).map { PlannedBatch(runId: "r", number: $0, size: 10) }
    }

    @Test func neverMoreThanTheConcurrencyInFlight() {
        var scheduler = BatchScheduler(batches: batches(5), concurrency: 2, deadline: nil, margin: .zero)
        let now = ContinuousClock.now
        #expect(scheduler.next(now: now) == .start(PlannedBatch(runId: "r", number: 0, size: 10)))
        #expect(scheduler.next(now: now) == .start(PlannedBatch(runId: "r", number: 1, size: 10)))
        #expect(scheduler.next(now: now) == .waitForCompletion)
        scheduler.completed(succeeded: true, duration: .milliseconds(5))
        #expect(scheduler.next(now: now) == .start(PlannedBatch(runId: "r", number: 2, size: 10)))
        var started = 3
        while true {
            switch scheduler.next(now: now) {
            case .start: started += 1
            case .waitForCompletion: scheduler.completed(succeeded: true, duration: .milliseconds(5))
            case .finished:
                #expect(started == 5)
                #expect(scheduler.stopReason == nil)
                return
            }
        }
    }

    @Test func aFailedBatchStopsNewBatchesButLetsTheOthersFinish() {
        var scheduler = BatchScheduler(batches: batches(6), concurrency: 3, deadline: nil, margin: .zero)
        let now = ContinuousClock.now
        for _ in 0..<3 { _ = scheduler.next(now: now) }
        scheduler.completed(succeeded: false, duration: .milliseconds(1))
        #expect(scheduler.next(now: now) == .waitForCompletion)
        scheduler.completed(succeeded: true, duration: .milliseconds(1))
        scheduler.completed(succeeded: true, duration: .milliseconds(1))
        #expect(scheduler.next(now: now) == .finished)
        #expect(scheduler.stopReason == .batchFailed)
        #expect(scheduler.remaining == 3)
    }

    @Test func theDeadlineLeavesRoomForTheSlowestBatchAndTheMargin() {
        let start = ContinuousClock.now
        var scheduler = BatchScheduler(batches: batches(10), concurrency: 1, deadline: start + .seconds(10), margin: .seconds(2))
        #expect(scheduler.next(now: start) != .finished)
        scheduler.completed(succeeded: true, duration: .seconds(3))
        // 5 s in: 5 + 3 (slowest) + 2 (margin) = 10, not past the deadline.
        #expect(scheduler.next(now: start + .seconds(5)) != .finished)
        scheduler.completed(succeeded: true, duration: .seconds(1))
        #expect(scheduler.next(now: start + .seconds(5) + .milliseconds(1)) == .finished)
        #expect(scheduler.stopReason == .deadline)
    }

    @Test func aLostLeaseStopsNewBatches() {
        var scheduler = BatchScheduler(batches: batches(4), concurrency: 1, deadline: nil, margin: .zero)
        _ = scheduler.next(now: .now)
        scheduler.leaseLost()
        scheduler.completed(succeeded: true, duration: .zero)
        #expect(scheduler.next(now: .now) == .finished)
        #expect(scheduler.stopReason == .leaseLost)
    }
}
