public import PoolDatabase

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How many pairs the pool should hold: forecast demand over the horizon (until the top-ups or the
/// next refill can restock, plus the time a refill takes, plus the TOME outage the pool must ride out) and a safety margin
/// learnt from the forecast's own recent errors, clamped to what the card domain accepts holding.
///
/// Pure and deterministic: no I/O and no clock of its own. The job feeds it the consumption
/// history it reads from `token_assignment`; the demand simulator feeds it the demand simulated so far.
public struct SizingPolicy: Sendable, Equatable {
    /// `POOL_SIZING`: follow demand, or today's fixed target.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case forecast
        case `static`
    }

    /// Which forecast the history allowed.
    public enum Method: String, Sendable, Codable {
        /// The same time in the last weeks, scaled to the last day's level: daily and weekly cycles and growth.
        case weekly
        /// The same time yesterday, scaled to the last hours' level: a daily cycle, under a week and an hour of history.
        case daily
        /// The last hour's rate, under a day of history.
        case recentRate = "recent_rate"
        /// No history: `fixedTarget`.
        case coldStart = "cold_start"
        /// `POOL_SIZING=static`: `fixedTarget`, whatever the demand.
        case `static`
    }

    public typealias Decision = SizingDecision

    public var settings: SizingSettings
    /// TOME's per-call timeout (`TOME_REQUEST_TIMEOUT_MS`): a refill's duration is counted in it.
    public var requestTimeout: Duration

    public init(settings: SizingSettings = SizingSettings(), requestTimeout: Duration) {
        self.settings = settings
        self.requestTimeout = requestTimeout
    }

    /// The longest a refill of `pairs` pairs takes with TOME's timeout.
    public func refillDuration(pairs: Int) -> Duration {
        settings.refillDuration(pairs: pairs, requestTimeout: requestTimeout)
    }

    /// The longest a full refill (`maxPairsPerRun`) takes: what the horizon and the cover allow for.
    public var refillDuration: Duration { refillDuration(pairs: settings.maxPairsPerRun) }

    /// The target and low watermark at `now` from the whole history, with the next refill
    /// `untilNextRefill` away. What each refill decides, and stores for the top-ups after it.
    public func decide(history: ConsumptionHistory, now: Date, untilNextRefill: Duration) -> Decision {
        guard settings.mode == .forecast else { return fixed(method: .static, now: now, untilNextRefill: untilNextRefill) }
        let demand = DemandSeries(history: history, now: now)
        guard demand.method != .coldStart else { return fixed(method: .coldStart, now: now, untilNextRefill: untilNextRefill) }
        let coverBuckets = Int((seconds(coverDuration) / demand.bucketSeconds).rounded(.up))
        let forecast = DemandForecast(madeAt: now, hourly: demand.hourlyForecast(hours: DemandForecast.spanHours))
        return sized(
            forecast, method: demand.method, surge: demand.surgeFactor(), margin: demand.safetyMargin(horizon: coverBuckets),
            now: now, untilNextRefill: untilNextRefill
        )
    }

    /// The decision at `now` from an earlier one's forecast, the `demandSince` it was made and the
    /// demand in the last quarter hour of that (`demandLastQuarterHour`): what a top-up or `status`
    /// answers between refills, from two counts instead of weeks of history. Demand running above
    /// the forecast since then raises the target at once.
    public func update(_ earlier: Decision, demandSince: Int, demandLastQuarterHour: Int, now: Date, untilNextRefill: Duration) -> Decision {
        guard let forecast = earlier.demandForecast, settings.mode == .forecast else {
            return fixed(method: settings.mode == .static ? .static : .coldStart, now: now, untilNextRefill: untilNextRefill)
        }
        let elapsed = max(0, now.timeIntervalSince(forecast.madeAt) / 3_600)
        let quarterFrom = max(0, elapsed - 0.25)
        let running = Self.surgeFactor(
            hour: (Double(demandSince), forecast.cards(fromHour: 0, toHour: elapsed)),
            quarter: (Double(demandLastQuarterHour), forecast.cards(fromHour: quarterFrom, toHour: elapsed)),
            shrink: forecast.cards(fromHour: elapsed, toHour: elapsed + 1.0 / 12)
        )
        // Under a quarter hour, the count is too short to say a surge has ended: keep the earlier factor.
        let surge = elapsed < 0.25 ? max(earlier.surgeFactor, running) : running
        return sized(forecast, method: earlier.method, surge: surge, margin: earlier.safetyMargin, now: now, untilNextRefill: untilNextRefill)
    }

    /// Whether `update` can answer from `earlier` at `now`, or the history must be read again:
    /// a policy change, a cold start or a short history (cheap to read and changing fast), a
    /// decision older than `maxAge`, or demand where the forecast expected none.
    public func needsHistory(_ earlier: Decision?, demandSince: Int, now: Date, maxAge: Duration) -> Bool {
        guard settings.mode == .forecast else { return false }
        guard let earlier, earlier.policy == .forecast, let forecast = earlier.demandForecast else { return true }
        guard earlier.method == .weekly || earlier.method == .daily else { return true }
        let elapsed = now.timeIntervalSince(forecast.madeAt)
        guard elapsed >= 0, elapsed <= seconds(maxAge) else { return true }
        return demandSince > 0 && forecast.cards(fromHour: 0, toHour: max(elapsed / 3_600, 1.0 / 12)) <= 0
    }

    /// Actual against expected demand over a window and its last quarter hour, the smaller of the
    /// two, each shrunk towards 1 by `shrink` cards (five minutes of expected demand) so that a
    /// few cards more than a tiny forecast are not a surge; bounded to 1-10.
    static func surgeFactor(hour: (actual: Double, expected: Double), quarter: (actual: Double, expected: Double), shrink: Double) -> Double {
        guard hour.expected > 0 else { return hour.actual > 0 ? 2 : 1 }
        let overHour = (hour.actual + shrink) / (hour.expected + shrink)
        let overQuarter = (quarter.actual + shrink) / (quarter.expected + shrink)
        return max(1, min(10, min(overHour, overQuarter)))
    }

    /// The time the low watermark covers: a top-up's wait, a refill's duration and the outage.
    private var coverDuration: Duration {
        settings.topUpInterval + refillDuration + .milliseconds(Int64(settings.coverHours * 3_600_000))
    }

    /// How long the pool must last before stock can arrive: the next refill, or the restock window
    /// when that comes sooner (the top-ups restock between refills).
    private func restockTime(untilNextRefill: Duration) -> Duration {
        min(untilNextRefill, settings.restockWindow)
    }

    /// The hours the target covers: the restock time, a refill's duration and the outage cover.
    private func horizonHours(untilNextRefill: Duration) -> Double {
        seconds(restockTime(untilNextRefill: untilNextRefill) + refillDuration) / 3_600 + settings.coverHours
    }

    private func sized(
        _ forecast: DemandForecast, method: Method, surge: Double, margin: Double, now: Date, untilNextRefill: Duration
    ) -> Decision {
        let from = max(0, now.timeIntervalSince(forecast.madeAt) / 3_600)
        let horizon = horizonHours(untilNextRefill: untilNextRefill)
        let restock = seconds(restockTime(untilNextRefill: untilNextRefill)) / 3_600
        // The forecast over the horizon, before the restock, and over the low watermark's cover.
        func windows(surge: Double) -> (demand: Double, beforeRestock: Double, cover: Double) {
            (
                forecast.cards(fromHour: from, toHour: from + horizon, surge: surge),
                forecast.cards(fromHour: from, toHour: from + restock, surge: surge),
                forecast.cards(fromHour: from, toHour: from + seconds(coverDuration) / 3_600, surge: surge)
            )
        }
        let plain = windows(surge: 1)
        let surged = surge > 1 ? windows(surge: surge) : plain
        // The margin protects what must outlast an outage (the pool when the restock is due); the
        // demand until then is watched every five minutes by the top-ups.
        // The surge and the margin both answer demand above the forecast: the margin the forecast's
        // usual misses, the surge the one under way. What must outlast an outage holds the larger
        // of the two, not both: on noisy demand a passing burst is what the margin is for, and
        // stacking them held stock for both.
        let outlasting = max(surged.demand - surged.beforeRestock, (plain.demand - plain.beforeRestock) * (1 + margin))
        let target = clamp(Int((surged.beforeRestock + outlasting).rounded(.up)))
        let low = Int(max(surged.cover, plain.cover * (1 + margin)).rounded(.up))
        return Decision(
            target: target.value, lowWatermark: min(target.value, low), policy: .forecast,
            method: method, decidedAt: now, horizonHours: horizon, outageCoverHours: settings.coverHours,
            forecast: Int(surged.demand.rounded()), surgeFactor: surge, safetyMargin: margin, clamp: target.clamp, demandForecast: forecast
        )
    }

    /// `fixedTarget`: the static policy, or the forecast policy before any history.
    private func fixed(method: Method, now: Date, untilNextRefill: Duration) -> Decision {
        let target = method == .static ? (value: settings.fixedTarget, clamp: nil) : clamp(settings.fixedTarget)
        let watermark = method == .static ? settings.fixedLowWatermark ?? target.value / 4 : target.value / 4
        return Decision(
            target: target.value, lowWatermark: min(target.value, watermark), policy: settings.mode, method: method, decidedAt: now,
            horizonHours: horizonHours(untilNextRefill: untilNextRefill),
            outageCoverHours: settings.coverHours, forecast: settings.fixedTarget, surgeFactor: 1, safetyMargin: 0,
            clamp: target.clamp, demandForecast: nil
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

extension DemandSeries {
    /// The buckets of `history` that ended by `now`: the one `now` falls in is still filling.
    init(history: ConsumptionHistory, now: Date) {
        let bucketSeconds = max(1, Double(history.bucket.components.seconds))
        let complete = Int(max(0, now.timeIntervalSince(history.start)) / bucketSeconds)
        let counts = history.counts
        self.init(count: min(complete, counts.count), bucketSeconds: bucketSeconds) { Double(counts[$0]) }
    }
}
