public import ProcessConfiguration

extension PrefetchJob {
    /// How the pool's target follows demand; `SizingPolicy` does the arithmetic.
    public struct SizingSettings: Sendable, Equatable {
        /// `POOL_SIZING`: `forecast` (default) or `static` (`POOL_TARGET` every run).
        public var mode: SizingPolicy.Mode = .forecast
        /// `POOL_COVER_HOURS`: the TOME outage the pool must ride out. Default 4.
        public var coverHours: Double = 4
        /// `POOL_TARGET_MIN`, `POOL_TARGET_MAX`: the fewest and most pairs to hold. Default 0 and 1,000,000.
        public var targetMin = 0
        public var targetMax = 1_000_000
        /// `POOL_HISTORY_DAYS`: how much assignment history the forecast reads. Default 28.
        public var historyDays = 28
        /// How often the scheduled refill runs (the template's `rate(1 hour)`).
        public var refillInterval: Duration = .seconds(3_600)
        /// How often the top-up looks at the pool (the template's `rate(5 minutes)`).
        public var topUpInterval: Duration = .seconds(300)

        public init() {}

        /// Time to the next refill of a schedule `every` interval, `since` seconds after the last one
        /// was scheduled to start: the rest of the interval, or a whole interval when none has run (a local run,
        /// or the schedule just deployed). The job and its replay both ask this.
        public static func untilNextRefill(every refillInterval: Duration, since: Double?) -> Duration {
            let interval = Double(refillInterval.components.seconds)
            guard let since, interval > 0 else { return refillInterval }
            return .seconds(Int((interval - max(0, since).truncatingRemainder(dividingBy: interval)).rounded(.up)))
        }

        /// The history window the forecast reads.
        public var historyWindow: Duration { .seconds(historyDays * 86_400) }

        /// The policy these settings describe, with the static target and the time a full refill takes.
        public func policy(poolTarget: Int, lowWatermark: Int?, refillDuration: Duration) -> SizingPolicy {
            var settings = SizingPolicy.Settings()
            settings.mode = mode
            settings.coverHours = coverHours
            settings.refillDuration = refillDuration
            settings.topUpInterval = topUpInterval
            settings.targetMin = targetMin
            settings.targetMax = targetMax
            settings.fixedTarget = poolTarget
            settings.fixedLowWatermark = lowWatermark
            return SizingPolicy(settings: settings)
        }

        /// Reads the sizing variables, adding any problem to `reader`.
        public init(reader: inout EnvironmentReader) {
            switch reader.string("POOL_SIZING", default: "forecast") {
            case "forecast": mode = .forecast
            case "static": mode = .static
            case let other: reader.problem("POOL_SIZING must be forecast or static, got \"\(other.prefix(32))\"")
            }
            coverHours = Double(reader.integer("POOL_COVER_HOURS", default: 4, in: 0...168))
            targetMin = reader.integer("POOL_TARGET_MIN", default: 0, in: 0...50_000_000)
            targetMax = reader.integer("POOL_TARGET_MAX", default: 1_000_000, in: 0...50_000_000)
            if targetMin > targetMax { reader.problem("POOL_TARGET_MIN (\(targetMin)) must not exceed POOL_TARGET_MAX (\(targetMax))") }
            historyDays = reader.integer("POOL_HISTORY_DAYS", default: 28, in: 1...90)
        }
    }
}
