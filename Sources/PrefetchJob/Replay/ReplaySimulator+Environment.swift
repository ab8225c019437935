public import ProcessConfiguration
import TOMEClient

extension ReplaySimulator.Settings {
    /// The replay's settings from the job's own variables (`POOL_*`, `REFILL_MAX_PAIRS`,
    /// `TOME_BATCH_SIZE`, `TOME_CONCURRENCY`, `TOME_REQUEST_TIMEOUT_MS`), so that it replays what
    /// is deployed; neither the database nor TOME is needed.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        let shape = RefillShape(reader: &reader)
        let timeout = HTTPTOMEClient.Configuration.requestTimeout(reader: &reader)
        try reader.finish()
        let duration: @Sendable (Int) -> Duration = { pairs in
            PrefetchJob.Configuration.refillDuration(pairs: pairs, batchSize: shape.batchSize, concurrency: shape.concurrency, requestTimeout: timeout)
        }
        self.init(
            policy: shape.sizing.policy(poolTarget: shape.poolTarget, lowWatermark: shape.lowWatermark, refillDuration: duration(shape.maxPairs)),
            refillDuration: duration
        )
        historyWindow = shape.sizing.historyWindow
        refillInterval = shape.sizing.refillInterval
        topUpInterval = shape.sizing.topUpInterval
        maxPairsPerRun = shape.maxPairs
        batchSize = shape.batchSize
        pairTimeToLive = shape.pairTimeToLive
    }
}
