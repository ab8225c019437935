public import ProcessConfiguration

extension SizingSettings {
    /// Reads the sizing and refill-shape variables, adding any problem to `reader`: the one reader
    /// of each, for the job and the demand simulator alike.
    public init(reader: inout EnvironmentReader) {
        self.init()
        switch reader.string("POOL_SIZING", default: "forecast") {
        case "forecast": mode = .forecast
        case "static": mode = .static
        case let other: reader.problem("POOL_SIZING must be forecast or static, got \"\(other.prefix(32))\"")
        }
        coverHours = Double(reader.integer("POOL_COVER_HOURS", default: 4, in: 0...168))
        targetMin = reader.integer("POOL_TARGET_MIN", default: 0, in: 0...50_000_000)
        targetMax = reader.integer("POOL_TARGET_MAX", default: 1_000_000, in: 0...50_000_000)
        if targetMin > targetMax { reader.problem("POOL_TARGET_MIN (\(targetMin)) must not exceed POOL_TARGET_MAX (\(targetMax))") }
        fixedTarget = reader.integer("POOL_TARGET", default: 10_000, in: 0...50_000_000)
        if reader.optionalString("POOL_LOW_WATERMARK") != nil {
            fixedLowWatermark = reader.integer("POOL_LOW_WATERMARK", default: 0, in: 0...50_000_000)
        }
        historyDays = reader.integer("POOL_HISTORY_DAYS", default: 28, in: 1...90)
        maxPairsPerRun = reader.integer("REFILL_MAX_PAIRS", default: 100_000, in: 1...50_000_000)
        batchSize = reader.integer("TOME_BATCH_SIZE", default: 500, in: 1...100_000)
        concurrency = reader.integer("TOME_CONCURRENCY", default: 8, in: 1...256)
        let ttlHours = reader.integer("POOL_PAIR_TTL_HOURS", default: 0, in: 0...87_600)
        pairTimeToLive = ttlHours > 0 ? .seconds(ttlHours * 3_600) : nil
    }
}
