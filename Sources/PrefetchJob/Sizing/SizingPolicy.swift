public import PoolDatabase

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How many pairs the pool should hold: forecast demand over the horizon (until the next refill,
/// plus the time a refill takes, plus the TOME outage the pool must ride out) and a safety margin
/// learnt from the forecast's own recent errors, clamped to what the card domain accepts holding.
///
/// Pure and deterministic: no I/O and no clock of its own. The job feeds it the consumption
/// history it reads from `token_assignment`; a replay feeds it the demand replayed so far.
public struct SizingPolicy: Sendable, Equatable {
    /// The sizing settings, each with its documented default; set the ones that differ.
    public struct Settings: Sendable, Equatable {
        /// The TOME outage the pool must carry card creation through (`POOL_COVER_HOURS`). Default 4.
        public var coverHours: Double = 4
        /// How long a refill takes, as the TOME settings imply. Default 5 minutes.
        public var refillDuration: Duration = .seconds(300)
        /// The fewest and the most pairs to hold (`POOL_TARGET_MIN`, `POOL_TARGET_MAX`). Default 0 and 1,000,000.
        public var targetMin = 0
        public var targetMax = 1_000_000
        /// The target with no history at all (`POOL_TARGET`). Default 10,000.
        public var coldStartTarget = 10_000

        public init() {}
    }

    /// Which forecast the history allowed.
    public enum Method: String, Sendable, Codable {
        /// The same time in the last weeks, scaled to the last day's level: daily and weekly cycles and growth.
        case weekly
        /// The same time yesterday, scaled to the last hours' level: a daily cycle, under a week of history.
        case daily
        /// The last hour's rate, under a day of history.
        case recentRate = "recent_rate"
        /// No history: `coldStartTarget`.
        case coldStart = "cold_start"
    }

    /// The answer and its reasons, as dry runs and `status` show them.
    public struct Decision: Sendable, Equatable, Codable {
        public var target: Int
        public var lowWatermark: Int
        public var method: Method
        /// Hours the target covers: until the next refill, a refill's duration, and the outage budget.
        public var horizonHours: Double
        /// Forecast demand over the horizon, before the safety margin.
        public var forecast: Int
        /// How much the last hour ran above the forecast (1 when it did not); applied at once.
        public var surgeFactor: Double
        /// The margin added for the forecast's own errors, as a fraction.
        public var safetyMargin: Double
        /// `min` or `max` when a clamp decided the target.
        public var clamp: String?

        /// The decision in a sentence an on-call engineer can act on.
        public var explanation: String {
            var text = "target \(target): forecast \(forecast) cards over \(Self.hours(horizonHours)) (next refill, a refill's duration and the outage cover), "
            text += "by \(method.rawValue.replacingOccurrences(of: "_", with: " "))"
            if surgeFactor > 1.001 { text += ", raised \(Self.percent(surgeFactor - 1)) for a surge" }
            text += ", plus a \(Self.percent(safetyMargin)) margin for forecast errors"
            if let clamp { text += "; clamped to POOL_TARGET_\(clamp.uppercased())" }
            return text + "; low below \(lowWatermark)"
        }

        static func hours(_ value: Double) -> String { String(format: "%.1f h", value) }
        static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }
    }

    public var settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// The target and low watermark at `now`, with the next refill `untilNextRefill` away.
    public func decide(history: ConsumptionHistory, now: Date, untilNextRefill: Duration) -> Decision {
        let demand = DemandSeries(history: history, now: now)
        let bucketSeconds = demand.bucketSeconds
        let horizonSeconds = seconds(untilNextRefill) + seconds(settings.refillDuration) + settings.coverHours * 3_600
        let coverSeconds = seconds(settings.refillDuration) + settings.coverHours * 3_600
        let method = demand.method
        guard method != .coldStart else {
            let target = clamp(settings.coldStartTarget)
            return Decision(
                target: target.value, lowWatermark: min(target.value, target.value / 4), method: method, horizonHours: horizonSeconds / 3_600,
                forecast: settings.coldStartTarget, surgeFactor: 1, safetyMargin: 0, clamp: target.clamp
            )
        }
        let horizonBuckets = Int((horizonSeconds / bucketSeconds).rounded(.up))
        let coverBuckets = Int((coverSeconds / bucketSeconds).rounded(.up))
        let surge = demand.surgeFactor()
        let forecast = demand.forecast(buckets: horizonBuckets) * surge
        let cover = demand.forecast(buckets: coverBuckets) * surge
        let margin = demand.safetyMargin()
        let target = clamp(Int((forecast * (1 + margin)).rounded(.up)))
        let watermark = min(target.value, Int((cover * (1 + margin)).rounded(.up)))
        return Decision(
            target: target.value, lowWatermark: watermark, method: method, horizonHours: horizonSeconds / 3_600,
            forecast: Int(forecast.rounded()), surgeFactor: surge, safetyMargin: margin, clamp: target.clamp
        )
    }

    private func clamp(_ value: Int) -> (value: Int, clamp: String?) {
        if value > settings.targetMax { return (settings.targetMax, "max") }
        if value < settings.targetMin { return (settings.targetMin, "min") }
        return (value, nil)
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
