/// How many pairs a run fetches, cut into numbered batches. Pure arithmetic, stored with the run
/// so that a run killed half-way is finished later with exactly the same batches.
struct RefillPlan: Sendable, Equatable {
    var plannedPairs: Int
    var batchSize: Int

    var batchCount: Int {
        plannedPairs == 0 ? 0 : (plannedPairs + batchSize - 1) / batchSize
    }

    /// Batch `number` holds `batchSize` pairs, except the last, which holds the rest.
    func size(ofBatch number: Int) -> Int {
        precondition(number >= 0 && number < batchCount, "batch \(number) is not in the plan")
        return min(batchSize, plannedPairs - number * batchSize)
    }

    /// Deficit = target − available (never negative); a run plans at most `cap` of it.
    static func deficit(target: Int, available: Int, cap: Int) -> (deficit: Int, planned: Int) {
        let deficit = max(0, target - available)
        return (deficit, min(deficit, max(0, cap)))
    }
}

/// One batch to run: which run it belongs to, its number and its size. Its TOME request ids
/// derive from the run id and the number, so running it again asks TOME for no new tokens.
struct PlannedBatch: Sendable, Equatable, Hashable {
    var runId: String
    var number: Int
    var size: Int

    var requestId: String { "\(runId)-\(number)" }
    var internalRequestId: String { "\(requestId)-ns1" }
    var externalRequestId: String { "\(requestId)-ns2" }
}
