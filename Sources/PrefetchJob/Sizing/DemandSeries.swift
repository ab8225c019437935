import PoolDatabase

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The demand seen so far, bucket by bucket (complete buckets only), and what it says about the
/// buckets to come: the same time in earlier weeks (or days) scaled to the recent level.
struct DemandSeries {
    /// Assignments per complete bucket, oldest first.
    let counts: [Double]
    let bucketSeconds: Double

    init(counts: [Double], bucketSeconds: Double) {
        self.counts = counts
        self.bucketSeconds = max(1, bucketSeconds)
    }

    /// The buckets of `history` that ended by `now`: the one `now` falls in is still filling.
    init(history: ConsumptionHistory, now: Date) {
        let bucketSeconds = max(1, Double(history.bucket.components.seconds))
        let complete = Int(max(0, now.timeIntervalSince(history.start)) / bucketSeconds)
        self.init(counts: history.counts.prefix(complete).map(Double.init), bucketSeconds: bucketSeconds)
    }

    var perHour: Int { max(1, Int(3_600 / bucketSeconds)) }
    var perDay: Int { max(1, Int(86_400 / bucketSeconds)) }
    var perWeek: Int { perDay * 7 }

    var method: SizingPolicy.Method {
        if counts.allSatisfy({ $0 == 0 }) { return .coldStart }
        if counts.count >= perWeek + perDay { return .weekly }
        if counts.count >= perDay + perHour { return .daily }
        return .recentRate
    }

    /// Forecast demand over the next `buckets` buckets.
    func forecast(buckets: Int) -> Double {
        let level = self.level
        return (0..<max(0, buckets)).reduce(0) { sum, offset in sum + reference(at: counts.count + offset) * level }
    }

    /// How far the last hour ran above the forecast for it, applied at once (1 when it did not):
    /// a surge raises the target now, not next week.
    func surgeFactor() -> Double {
        let n = counts.count
        let window = min(perHour, n)
        guard window > 0 else { return 1 }
        let actual = counts[(n - window)..<n].reduce(0, +)
        let expected: Double
        switch method {
        case .weekly, .daily:
            expected = ((n - window)..<n).reduce(0) { $0 + reference(at: $1) } * level
        case .recentRate, .coldStart:
            // The last quarter hour against the hour: a rate that is climbing right now.
            let quarter = max(1, window / 4)
            let recent = counts[(n - quarter)..<n].reduce(0, +) / Double(quarter)
            return max(1, min(10, recent / max(actual / Double(window), 1e-9)))
        }
        guard expected > 0 else { return actual > 0 ? 2 : 1 }
        return max(1, min(10, actual / expected))
    }

    /// The margin for the forecast's own errors: how far actual demand ran above the hour-ahead
    /// forecast over the last day, at the 95th percentile; 25 % until there are six hours to learn from.
    func safetyMargin() -> Double {
        let n = counts.count
        var errors: [Double] = []
        for hour in 1...24 {
            let start = n - hour * perHour
            guard start > perHour else { break }
            let before = DemandSeries(counts: Array(counts[..<start]), bucketSeconds: bucketSeconds)
            guard before.method != .coldStart else { continue }
            let predicted = before.forecast(buckets: perHour) * before.surgeFactor()
            let actual = counts[start..<(start + perHour)].reduce(0, +)
            guard predicted > 0 else { continue }
            errors.append(max(0, actual / predicted - 1))
        }
        guard errors.count >= 6 else { return 0.25 }
        let sorted = errors.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * 0.95).rounded(.down)))
        return min(1, max(0.05, sorted[index]))
    }

    /// The recent level against the seasonal reference: growth, or a quiet holiday, over the last
    /// day (weekly) or six hours (daily). Bounded, so one odd day does not run away with it.
    private var level: Double {
        let window: Int
        switch method {
        case .weekly: window = perDay
        case .daily: window = 6 * perHour
        case .recentRate, .coldStart: return 1
        }
        let n = counts.count
        let actual = counts[(n - window)..<n].reduce(0, +)
        let expected = ((n - window)..<n).reduce(0) { $0 + reference(at: $1) }
        guard expected > 0 else { return 1 }
        return max(0.5, min(3, actual / expected))
    }

    /// The seasonal reference for bucket `index` (past or future): the mean of the same bucket in
    /// up to four earlier weeks (or six earlier days), each smoothed over its neighbours.
    private func reference(at index: Int) -> Double {
        switch method {
        case .weekly: return seasonal(at: index, period: perWeek, periods: 4)
        case .daily: return seasonal(at: index, period: perDay, periods: 6)
        case .recentRate:
            let window = min(perHour, counts.count)
            return counts.suffix(window).reduce(0, +) / Double(max(1, window))
        case .coldStart: return 0
        }
    }

    private func seasonal(at index: Int, period: Int, periods: Int) -> Double {
        var sum = 0.0
        var found = 0
        for k in 1...periods {
            let past = index - k * period
            guard past >= 0, past < counts.count else { continue }
            sum += smoothed(past)
            found += 1
        }
        return found == 0 ? 0 : sum / Double(found)
    }

    private func smoothed(_ index: Int) -> Double {
        let low = max(0, index - 1)
        let high = min(counts.count - 1, index + 1)
        return counts[low...high].reduce(0, +) / Double(high - low + 1)
    }
}
