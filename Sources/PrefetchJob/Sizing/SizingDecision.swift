#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// How many pairs the pool should hold now, below which level it is low, and why: what dry runs,
/// top-ups and `status` show, and what each refill stores for the top-ups after it.
public struct SizingDecision: Sendable, Equatable, Codable {
    /// Available pairs a refill fills to.
    public var target: Int
    /// Below this a top-up refills, and the low-pool alarm counts the pool as low: the demand of
    /// the outage cover, a refill's duration and the time to the next top-up.
    public var lowWatermark: Int
    /// `forecast` or `static` (`POOL_SIZING`).
    public var policy: SizingPolicy.Mode
    /// Which forecast the history allowed (`static` under the static policy).
    public var method: SizingPolicy.Method
    /// When the decision was made.
    public var decidedAt: Date
    /// Hours the target covers: until stock can arrive (the next top-up window or refill, whichever
    /// is sooner), a refill's duration, and the outage cover.
    public var horizonHours: Double
    /// The TOME outage the pool is sized to ride out (`POOL_COVER_HOURS`).
    public var outageCoverHours: Double
    /// Forecast demand over the horizon, surge included, before the safety margin.
    public var forecast: Int
    /// How much recent demand ran above the forecast (1 when it did not); applied at once.
    public var surgeFactor: Double
    /// The margin added for the forecast's own errors, as a fraction.
    public var safetyMargin: Double
    /// `min` or `max` when a clamp decided the target.
    public var clamp: String?
    /// The hourly forecast the decision came from; nil without one (cold start, static).
    public var demandForecast: DemandForecast?

    /// The decision in a sentence an on-call engineer can act on.
    public var explanation: String {
        if policy == .static {
            return "target \(target): POOL_TARGET, fixed (POOL_SIZING=static); low below \(lowWatermark)"
        }
        if method == .coldStart {
            return "target \(target): no assignments in the history yet, so POOL_TARGET\(clampText); low below \(lowWatermark)"
        }
        var text = "target \(target): forecast \(forecast) cards over the next \(Self.hours(horizonHours)) "
        text += "(until the top-ups or the next refill can restock, a refill's duration and \(Self.hours(outageCoverHours)) of TOME outage cover), "
        text += "by \(method.sentence)"
        if surgeFactor > 1.001 {
            text += ", raised \(Self.percent(surgeFactor - 1)) because demand is running above the forecast; the outage cover holds the larger of that"
            text += " and a \(Self.percent(safetyMargin)) margin for forecast errors"
        } else {
            text += ", plus a \(Self.percent(safetyMargin)) margin for forecast errors on the outage cover"
        }
        return text + "\(clampText); low below \(lowWatermark)"
    }

    private var clampText: String {
        clamp.map { "; clamped to POOL_TARGET_\($0.uppercased())" } ?? ""
    }

    /// How many hours `available` pairs last at the forecast demand (surge included) from `now`,
    /// to two decimals as every report prints it; nil without a forecast or beyond its span.
    public func hoursCovered(by available: Int, at now: Date) -> Double? {
        guard let demandForecast else { return nil }
        let from = max(0, now.timeIntervalSince(demandForecast.madeAt) / 3_600)
        return demandForecast.hoursUntilUsed(Double(available), fromHour: from, surge: surgeFactor).map { ($0 * 100).rounded() / 100 }
    }

    static func hours(_ value: Double) -> String { String(format: "%.1f h", value) }
    static func percent(_ value: Double) -> String { "\(Int((value * 100).rounded())) %" }
}

extension SizingPolicy.Method {
    var sentence: String {
        switch self {
        case .weekly: "the same hours of the last four weeks (their median, so one odd week does not count) and six days, each weighed by how well it foretold the last three days, scaled to the last day's level"
        case .daily: "the same hours of the last days, scaled to the last six hours' level (under a week and an hour of history)"
        case .recentRate: "the last hour's rate (under a day of history)"
        case .coldStart: "POOL_TARGET (no history)"
        case .static: "POOL_TARGET (static)"
        }
    }
}
