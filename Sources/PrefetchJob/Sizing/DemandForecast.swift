#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Expected card demand hour by hour from the moment a forecast was made, before any surge.
/// Stored with each refill's decision, so that top-ups and `status` between refills size the pool
/// from it and the demand since, without reading weeks of history every five minutes.
public struct DemandForecast: Sendable, Equatable, Codable {
    /// The hours a forecast spans.
    public static let spanHours = 24

    /// When the forecast was made: hour 0 starts here.
    public var madeAt: Date
    /// Cards expected in each hour from `madeAt`.
    public var hourly: [Double]

    public init(madeAt: Date, hourly: [Double]) {
        self.madeAt = madeAt
        self.hourly = hourly.map { ($0 * 100).rounded() / 100 }
    }

    /// Cards expected between `from` and `to` hours after `madeAt`, demand spread evenly within
    /// each hour; past the span, the last hour's rate goes on.
    public func cards(fromHour from: Double, toHour to: Double) -> Double {
        guard to > from, !hourly.isEmpty else { return 0 }
        var total = 0.0
        var hour = max(0, from)
        while hour < to {
            let index = Int(hour.rounded(.down))
            let next = min(to, Double(index + 1))
            total += rate(inHour: index) * (next - hour)
            hour = next
        }
        return total
    }

    /// How long a surge is expected to go on: at full strength for the first hour, then fading
    /// to nothing over the next two. Campaign surges last hours, bursts minutes; every top-up
    /// measures it again, so a surge that goes on keeps the pool raised, and one that is over
    /// does not leave five hours of surged stock behind.
    static func surgeWeight(hoursAhead: Double) -> Double {
        max(0, min(1, (3 - hoursAhead) / 2))
    }

    /// What demand `hoursAhead` is multiplied by while it runs `surge` times the forecast now:
    /// the one place the surge's shape is applied (the forecast, the cover, the target).
    static func surgeFactor(_ surge: Double, hoursAhead: Double) -> Double {
        1 + (max(1, surge) - 1) * surgeWeight(hoursAhead: hoursAhead)
    }

    /// Cards expected between `from` and `to` hours after `madeAt` while demand runs `surge` times
    /// the forecast now, the surge fading as `surgeWeight` says.
    public func cards(fromHour from: Double, toHour to: Double, surge: Double) -> Double {
        guard surge > 1 else { return cards(fromHour: from, toHour: to) }
        var total = 0.0
        let slice = 1.0 / 12
        var hour = from
        while hour < to {
            let next = min(to, hour + slice)
            total += cards(fromHour: hour, toHour: next) * Self.surgeFactor(surge, hoursAhead: (hour + next) / 2 - from)
            hour = next
        }
        return total
    }

    /// Hours from `from` until `stock` cards are used up at the forecast, `surge` included; nil
    /// when they last beyond the span.
    public func hoursUntilUsed(_ stock: Double, fromHour from: Double, surge: Double) -> Double? {
        var left = stock
        var hour = max(0, from)
        let slice = 1.0 / 12
        while hour < Double(Self.spanHours) {
            let demand = cards(fromHour: hour, toHour: hour + slice) * Self.surgeFactor(surge, hoursAhead: hour - from)
            if demand >= left {
                return hour - from + (demand > 0 ? left / demand * slice : 0)
            }
            left -= demand
            hour += slice
        }
        return nil
    }

    private func rate(inHour index: Int) -> Double {
        hourly[min(max(0, index), hourly.count - 1)]
    }
}
