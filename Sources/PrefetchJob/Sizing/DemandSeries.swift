/// The demand seen so far, bucket by bucket (complete buckets only), and what it says about the
/// buckets to come: the same time in earlier weeks (or days) scaled to the recent level.
///
/// A view of the first `end` buckets of shared prefix sums, so the views the safety margin looks
/// back through cost no copy, and a window's demand or seasonal reference costs a few reads
/// whatever its length: an hourly decision over four weeks of 5-minute buckets stays cheap
/// enough to simulate months of them in a second.
struct DemandSeries {
    /// `prefix[i]` is the demand in buckets `0..<i`.
    private let prefix: [Double]
    /// `smoothedPrefix[i]` is the sum of `smoothed(0..<i)`, each bucket averaged with its
    /// neighbours in the whole series. A view never reads its own last bucket through it: the
    /// reference looks at least one period back, and no view forecasts a whole period ahead.
    private let smoothedPrefix: [Double]
    /// Buckets visible to this view: what had been seen at its "now".
    let end: Int
    /// The first bucket with an assignment: the history read from the database is a fixed window
    /// with zeros before the first card, and those zeros are no history, not a quiet week.
    let start: Int
    let bucketSeconds: Double
    let method: SizingPolicy.Method
    /// The recent level against the seasonal reference (1 without a season).
    private(set) var level: Double = 1
    /// How much the weekly reference weighs against the daily one (1 without a week of history
    /// to compare): each weighed by how well it foretold the last days. Under four weeks of
    /// history the weekly reference is one to three noisy weeks, and on demand with a weak weekly
    /// cycle the last six days foretell the next one better.
    private(set) var weeklyWeight: Double = 1

    init(counts: [Double], bucketSeconds: Double) {
        self.init(count: counts.count, bucketSeconds: bucketSeconds) { counts[$0] }
    }

    /// Builds both prefix sums in one pass each, over buffers: an hourly decision rebuilds them
    /// for four weeks of buckets, in the job and thousands of times in a simulation.
    init(count: Int, bucketSeconds: Double, bucket: (Int) -> Double) {
        let prefix = [Double](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
            var sum = 0.0
            buffer[0] = 0
            for index in 0..<count {
                sum += bucket(index)
                buffer[index + 1] = sum
            }
            initialized = count + 1
        }
        let smoothedPrefix = prefix.withUnsafeBufferPointer { prefix in
            [Double](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
                var sum = 0.0
                buffer[0] = 0
                for index in 0..<count {
                    let low = max(0, index - 1)
                    let high = min(count, index + 2)
                    sum += (prefix[high] - prefix[low]) / Double(high - low)
                    buffer[index + 1] = sum
                }
                initialized = count + 1
            }
        }
        self.init(prefix: prefix, smoothedPrefix: smoothedPrefix, end: count, bucketSeconds: max(1, bucketSeconds))
    }

    private init(prefix: [Double], smoothedPrefix: [Double], end: Int, bucketSeconds: Double, start: Int? = nil, weeklyWeight: Double? = nil) {
        self.prefix = prefix
        self.smoothedPrefix = smoothedPrefix
        self.end = end
        // Binary search for the first bucket with demand: the prefix sums only grow.
        self.start = start ?? {
            var low = 0
            var high = end
            while low < high {
                let middle = (low + high) / 2
                if prefix[middle + 1] > 0 { high = middle } else { low = middle + 1 }
            }
            return low
        }()
        self.bucketSeconds = bucketSeconds
        let perHour = max(1, Int(3_600 / bucketSeconds))
        let perDay = max(1, Int(86_400 / bucketSeconds))
        if prefix[end] <= 0 {
            method = .coldStart
        } else if end - self.start >= perDay * 7 + perHour {
            // A week and an hour: every hour ahead has its hour a week back, and the first
            // Monday morning is foreseen from the last one, not from a mean of the weekend.
            method = .weekly
        } else if end - self.start >= perDay + perHour {
            method = .daily
        } else {
            method = .recentRate
        }
        if method == .weekly { self.weeklyWeight = weeklyWeight ?? measuredWeeklyWeight() }
        level = measuredLevel()
    }

    /// The series as it was when only the first `end` buckets had been seen.
    /// The weekly weight stays this view's: the margin measures how the forecast as it is made
    /// now would have done, and weighing the references again for each hour back costs more
    /// than the forecast itself.
    func truncated(to end: Int) -> DemandSeries {
        let end = max(start, min(end, self.end))
        return DemandSeries(prefix: prefix, smoothedPrefix: smoothedPrefix, end: end, bucketSeconds: bucketSeconds, start: start, weeklyWeight: weeklyWeight)
    }

    var perHour: Int { max(1, Int(3_600 / bucketSeconds)) }
    var perDay: Int { max(1, Int(86_400 / bucketSeconds)) }
    var perWeek: Int { perDay * 7 }

    /// Actual demand in the visible buckets of `range`.
    func actual(_ range: Range<Int>) -> Double {
        let lower = max(0, min(range.lowerBound, end))
        let upper = max(lower, min(range.upperBound, end))
        return prefix[upper] - prefix[lower]
    }

    /// Forecast demand over the next `buckets` buckets, with a surge fading as the policy's does.
    func forecast(buckets: Int, surge: Double = 1) -> Double {
        guard surge > 1 else { return referenceSum(end..<(end + max(0, buckets))) * level }
        return (0..<max(0, buckets)).reduce(0) { sum, offset in
            let factor = DemandForecast.surgeFactor(surge, hoursAhead: (Double(offset) + 0.5) / Double(perHour))
            return sum + referenceSum((end + offset)..<(end + offset + 1)) * level * factor
        }
    }

    /// Forecast cards in each of the next `hours` hours, before any surge.
    func hourlyForecast(hours: Int) -> [Double] {
        (0..<hours).map { hour in
            let first = end + hour * perHour
            return referenceSum(first..<(first + perHour)) * level
        }
    }

    /// How far recent demand ran above the forecast for it, applied at once (1 when it did not):
    /// a surge raises the target now, not next week. Both the last hour and its last quarter
    /// must run above, so a burst that is already over does not inflate the next five hours.
    func surgeFactor() -> Double {
        let window = min(perHour, end - start)
        guard window > 0 else { return 1 }
        let actual = actual((end - window)..<end)
        let quarter = max(1, window / 4)
        switch method {
        case .weekly, .daily:
            let expected = referenceSum((end - window)..<end) * level
            return SizingPolicy.surgeFactor(
                hour: (actual, expected), quarter: (self.actual((end - quarter)..<end), referenceSum((end - quarter)..<end) * level),
                shrink: expected / 12
            )
        case .recentRate, .coldStart, .static:
            // The last quarter hour against the hour: a rate that is climbing right now.
            let recent = self.actual((end - quarter)..<end) / Double(quarter)
            return max(1, min(10, recent / max(actual / Double(window), 1e-9)))
        }
    }

    /// The margin for the forecast's own errors: how far actual demand ran above the forecast
    /// over `horizon` buckets, for forecasts made at each hour of the last three days, at the
    /// 90th percentile; a quarter until there are six forecasts to learn from. Bounded to 5-100 %.
    /// (The margin protects an outage's cover: between outages the 5-minute top-ups do.)
    func safetyMargin(horizon: Int) -> Double {
        let horizon = max(1, horizon)
        var errors: [Double] = []
        // Under a day of history the forecast is a flat hourly rate, and its errors follow the
        // time of day (the morning's climb): a percentile of them learnt by noon would be applied
        // to an afternoon they do not describe. The default holds until the daily forecast.
        guard method != .recentRate else { return 0.25 }
        for hour in 0..<72 {
            let madeAt = end - horizon - hour * perHour
            guard madeAt > start + perHour else { break }
            let before = truncated(to: madeAt)
            // Only forecasts made the way this one is: a first day's hourly-rate errors say
            // nothing of the daily forecast that follows it.
            guard before.method == method else { continue }
            let predicted = before.forecast(buckets: horizon, surge: before.surgeFactor())
            guard predicted > 0 else { continue }
            errors.append(max(0, actual(madeAt..<(madeAt + horizon)) / predicted - 1))
        }
        guard errors.count >= 6 else { return 0.25 }
        let sorted = errors.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.down)))
        return min(1, max(0.05, sorted[index]))
    }

    /// The weekly reference's weight: over the 4-hour blocks of the last three days that have a
    /// week before them in the history, each reference's median squared error against what
    /// happened; each weighs by the other's error (inverse-variance weights), so the one that
    /// foretold those days better counts more. The cover an outage needs is hours long, so blocks
    /// of hours are compared, not 5-minute noise. The median, not the sum: a surge that both
    /// references missed says nothing of which one foretells better, and in a sum of squares its
    /// few blocks outweigh a weekend that only the weekly reference saw coming.
    private func measuredWeeklyWeight() -> Double {
        let block = 4 * perHour
        var weeklyErrors: [Double] = []
        var dailyErrors: [Double] = []
        var blockEnd = end
        while blockEnd - block >= max(start + perWeek, end - 3 * perDay) {
            let range = (blockEnd - block)..<blockEnd
            let actual = actual(range)
            let weeklyMiss = actual - seasonalSum(range, period: perWeek, periods: 4)
            let dailyMiss = actual - seasonalSum(range, period: perDay, periods: 6)
            weeklyErrors.append(weeklyMiss * weeklyMiss)
            dailyErrors.append(dailyMiss * dailyMiss)
            blockEnd -= block
        }
        let weeklyError = Self.median(weeklyErrors)
        let dailyError = Self.median(dailyErrors)
        guard weeklyError + dailyError > 0 else { return 1 }
        return dailyError / (weeklyError + dailyError)
    }

    /// The middle of `values` (0 when empty).
    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// The recent level against the seasonal reference: growth, or a quiet holiday, over the last
    /// day (weekly) or six hours (daily). Bounded, so one odd day does not run away with it.
    private func measuredLevel() -> Double {
        let window: Int
        let period: Int
        switch method {
        case .weekly: (window, period) = (perDay, perWeek)
        case .daily: (window, period) = (6 * perHour, perDay)
        case .recentRate, .coldStart, .static: return 1
        }
        // Only buckets with an earlier period to compare with: the first day has no yesterday.
        let first = max(end - window, start + period)
        guard first < end else { return 1 }
        let actual = actual(first..<end)
        let expected = referenceSum(first..<end)
        guard expected > 0 else { return 1 }
        return max(0.5, min(3, actual / expected))
    }

    /// The seasonal reference summed over `range` (past or future buckets): for each bucket, the
    /// median of the same bucket in up to four earlier weeks (or the mean of six earlier days)
    /// that the history holds, each smoothed over its neighbours.
    private func referenceSum(_ range: Range<Int>) -> Double {
        switch method {
        case .weekly:
            let weekly = seasonalSum(range, period: perWeek, periods: 4)
            guard weeklyWeight < 1 else { return weekly }
            return weeklyWeight * weekly + (1 - weeklyWeight) * seasonalSum(range, period: perDay, periods: 6)
        case .daily: return seasonalSum(range, period: perDay, periods: 6)
        case .recentRate:
            let window = min(perHour, end - start)
            return actual((end - window)..<end) / Double(max(1, window)) * Double(range.count)
        case .coldStart, .static: return 0
        }
    }

    /// Which earlier periods a bucket can look back to changes only where `index - k × period`
    /// crosses `start` or `end`: the range is cut there, and each piece is summed from the prefix sums.
    private func seasonalSum(_ range: Range<Int>, period: Int, periods: Int) -> Double {
        if range.count == 1 { return seasonal(at: range.lowerBound, period: period, periods: periods) }
        var cuts = [range.lowerBound, range.upperBound]
        for k in 1...periods {
            for cut in [start + k * period, end + k * period] where cut > range.lowerBound && cut < range.upperBound { cuts.append(cut) }
        }
        cuts.sort()
        var total = 0.0
        for (low, high) in zip(cuts, cuts.dropFirst()) where high > low {
            total += centre(period: period, periods: periods, at: low) { past in
                smoothedPrefix[past + (high - low)] - smoothedPrefix[past]
            }
        }
        return total
    }

    /// The reference of one bucket: the centre of its smoothed earlier periods that the history holds.
    private func seasonal(at index: Int, period: Int, periods: Int) -> Double {
        centre(period: period, periods: periods, at: index) { past in smoothedPrefix[past + 1] - smoothedPrefix[past] }
    }

    /// The earlier periods' `value` (read at the index `index` falls on `k` periods back, for
    /// those the history holds) brought to one figure. Weeks drop their highest and lowest once
    /// there are three or more (with at most four weeks, that is their median): a holiday in one
    /// of the reference weeks would otherwise lower the same day for four weeks after it (a week
    /// at 40 % among four: 15 % short, more than a steady trace's margin holds). Days take their
    /// mean: six earlier days are weekdays and a weekend, and their median would be a weekday's
    /// level on a Sunday.
    private func centre(period: Int, periods: Int, at index: Int, value: (Int) -> Double) -> Double {
        var sum = 0.0
        var lowest = Double.infinity
        var highest = -Double.infinity
        var found = 0
        for k in 1...periods where index - k * period >= start && index - k * period < end {
            let past = value(index - k * period)
            sum += past
            lowest = min(lowest, past)
            highest = max(highest, past)
            found += 1
        }
        guard found > 0 else { return 0 }
        guard period == perWeek, found >= 3 else { return sum / Double(found) }
        return (sum - lowest - highest) / Double(found - 2)
    }
}
