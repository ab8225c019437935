import Logging
import PoolDatabase
import TOMEClient

/// Runs one batch: NS1 issue and NS2 tokenize through approach 1, then one exactly-once insert.
struct BatchExecutor: Sendable {
    let dual: DualNamespaceClient
    let store: RefillStore
    let pairTimeToLive: Duration?
    let logger: Logger

    /// How one batch ended. Never thrown: the run decides what a failure means.
    struct FinishedBatch: Sendable {
        enum Result: Sendable {
            case committed(inserted: Int)
            case alreadyCommitted
            case failed(JobFailure)
        }

        var batch: PlannedBatch
        var result: Result
        var duration: Duration
        /// TOME calls made for this batch (not counting the client's own retries).
        var tomeCalls: Int

        var succeeded: Bool {
            if case .failed = result { return false }
            return true
        }
    }

    func run(_ batch: PlannedBatch) async -> FinishedBatch {
        let started = ContinuousClock.now
        var calls = 0
        var logger = logger
        logger[metadataKey: JobLogKey.batch] = "\(batch.number)"
        logger[metadataKey: JobLogKey.runId] = "\(batch.runId)"
        let result: FinishedBatch.Result
        do {
            // mintPairs derives the NS1 and NS2 request ids from this one, so a re-run of this
            // batch (after a crash, by the same or a later run) gets the very same tokens back.
            calls += 2
            let pairs = try await dual.mintPairs(count: batch.size, requestId: batch.requestId)
            try Self.checkDistinct(pairs)
            let inserted = try await store.commitBatch(
                runId: batch.runId, batchNo: batch.number, requestId: batch.requestId, pairs: pairs, timeToLive: pairTimeToLive
            )
            if let inserted {
                result = .committed(inserted: inserted)
                logger.debug("batch committed", metadata: [JobLogKey.pairsInserted: "\(inserted)"])
            } else {
                result = .alreadyCommitted
                logger.info("batch was committed before; nothing inserted")
            }
        } catch {
            if let error = error as? DualNamespaceError, error.step == .issueNS1 { calls -= 1 }
            let failure = JobFailure(error)
            result = .failed(JobFailure(kind: failure.kind, description: "batch \(batch.number): \(failure)"))
        }
        if case .failed(let failure) = result {
            logger.warning("batch failed", metadata: [JobLogKey.error: "\(failure)", "error.type": "\(failure.kind.rawValue)"])
        }
        return FinishedBatch(batch: batch, result: result, duration: .now - started, tomeCalls: calls)
    }

    /// The client already rejects duplicates within each namespace; a token that appears in
    /// both namespaces would make an NS2 lookup return an NS1 token for a different card.
    static func checkDistinct(_ pairs: [TokenPair]) throws(JobFailure) {
        let ns1Tokens = Set(pairs.map(\.ns1Token))
        if pairs.contains(where: { ns1Tokens.contains($0.ns2Token) }) {
            throw JobFailure.tome("TOME returned an NS2 reference equal to an NS1 token; the batch was not stored")
        }
    }
}
