import ProcessConfiguration

/// The settings that decide how much a refill fetches and how it fetches it: read the same way by
/// the job and by the replay simulator, so a replay runs with what is deployed.
struct RefillShape {
    var poolTarget: Int
    var lowWatermark: Int?
    var sizing: PrefetchJob.SizingSettings
    var maxPairs: Int
    var batchSize: Int
    var concurrency: Int
    var ttlHours: Int

    init(reader: inout EnvironmentReader) {
        poolTarget = reader.integer("POOL_TARGET", default: 10_000, in: 0...50_000_000)
        lowWatermark = reader.optionalString("POOL_LOW_WATERMARK") == nil
            ? nil : reader.integer("POOL_LOW_WATERMARK", default: 0, in: 0...50_000_000)
        sizing = PrefetchJob.SizingSettings(reader: &reader)
        maxPairs = reader.integer("REFILL_MAX_PAIRS", default: 100_000, in: 1...50_000_000)
        batchSize = reader.integer("TOME_BATCH_SIZE", default: 500, in: 1...100_000)
        concurrency = reader.integer("TOME_CONCURRENCY", default: 8, in: 1...256)
        ttlHours = reader.integer("POOL_PAIR_TTL_HOURS", default: 0, in: 0...87_600)
    }

    var pairTimeToLive: Duration? { ttlHours > 0 ? .seconds(ttlHours * 3_600) : nil }
}
