import Foundation
import PoolDatabase
import PrefetchJob
import Testing

/// The sizing policy on synthetic histories: what it answers for cycles, growth, a surge, a cold
/// start and the clamps. Pure, so every case is exact arithmetic, not timing.
@Suite("Pool sizing policy")
struct SizingPolicyTests {
    static let start = Date(timeIntervalSince1970: 1_763_942_400)  // a Monday, 00:00 UTC
    static let bucket = 300.0

    /// `days` of 5-minute buckets whose demand is `rate(bucketIndex)`; `now` is the end of the last one.
    static func history(days: Double, rate: (Int) -> Double) -> (ConsumptionHistory, Date) {
        let count = Int(days * 288)
        let counts = (0..<count).map { Int(rate($0).rounded()) }
        return (ConsumptionHistory(bucket: .seconds(300), start: start, counts: counts), start.addingTimeInterval(Double(count) * bucket))
    }

    /// A daily cycle: quiet at night, busiest mid-afternoon (`peak` per 5 minutes), weekends at 60 %.
    static func daily(_ index: Int, peak: Double) -> Double {
        let hour = Double(index % 288) / 12
        let day = (index / 288) % 7
        let shape = 0.1 + 0.9 * max(0, sin((hour - 6) / 18 * .pi))
        return peak * shape * (day >= 5 ? 0.6 : 1)
    }

    /// The demand that actually follows `now` over the decision's horizon, from the same generator.
    static func demandAhead(from index: Int, hours: Double, rate: (Int) -> Double) -> Double {
        (index..<(index + Int((hours * 12).rounded(.up)))).reduce(0) { $0 + rate($1) }
    }

    let policy = Self.policy(Self.settings { $0.targetMax = 5_000_000 })

    /// A full refill takes 5 minutes, as the figures below assume: 25 rounds of two 6 s calls.
    static func policy(_ settings: SizingSettings) -> SizingPolicy {
        SizingPolicy(settings: settings, requestTimeout: .seconds(6))
    }

    static func settings(_ change: (inout SizingSettings) -> Void) -> SizingSettings {
        var settings = SizingSettings()
        change(&settings)
        return settings
    }

    @Test func noHistoryFallsBackToTheConfiguredTarget() {
        let decision = policy.decide(history: ConsumptionHistory(bucket: .seconds(300), start: Self.start, counts: []), now: Self.start, untilNextRefill: .seconds(3_600))
        #expect(decision.method == .coldStart)
        #expect(decision.target == 10_000)
        #expect(decision.lowWatermark <= decision.target)
    }

    @Test func underADayOfHistoryUsesTheRecentRate() {
        let (history, now) = Self.history(days: 0.5) { _ in 100 }
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        #expect(decision.method == .recentRate)
        // 1,200 cards an hour over 15 min (the top-ups restock before the next refill) + 5 min + 4 h.
        #expect(decision.forecast == 5_200)
        // A flat rate's errors follow the time of day, so under a day the margin is not learnt: a quarter.
        #expect(decision.safetyMargin == 0.25)
        // The margin covers what must outlast an outage: all but the 15 minutes until the restock.
        #expect(decision.target == Int((300 + 1.25 * 4_900).rounded(.up)))
        // The watermark covers the outage, a refill and the wait for the next top-up: 4 h 10 min.
        #expect(decision.lowWatermark == Int((1_200.0 * (4 + 10.0 / 60) * 1.25).rounded(.up)))
    }

    @Test func withUnderSixForecastsToLearnFromTheMarginIsAQuarter() {
        // Just past a day and an hour: the daily forecast, with none of its own to learn from yet.
        let (history, now) = Self.history(days: 1 + 2.0 / 24) { _ in 100 }
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        #expect(decision.method == .daily)
        #expect(decision.safetyMargin == 0.25)
        #expect(decision.target == Int((300 + 1.25 * 4_900).rounded(.up)))
    }

    @Test func aSteadyDailyForecastLearnsTheFloorMargin() {
        let (history, now) = Self.history(days: 3) { _ in 100 }
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        #expect(decision.method == .daily)
        // A steady rate is forecast without error, so the learnt margin is its floor, 5 %.
        #expect(decision.safetyMargin == 0.05)
        #expect(decision.target == Int((300 + 1.05 * 4_900).rounded(.up)))
    }

    @Test func theOutageCoverHoldsTheLargerOfTheSurgeAndTheMarginNotBoth() throws {
        let (history, now) = Self.history(days: 14 + 10.0 / 24) { Self.daily($0, peak: 200) }
        let decided = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        let forecast = try #require(decided.demandForecast)
        let later = now.addingTimeInterval(1_200)
        func update(margin: Double, running: Double) -> SizingDecision {
            var earlier = decided
            earlier.safetyMargin = margin
            let since = forecast.cards(fromHour: 0, toHour: 1.0 / 3) * running
            let quarter = forecast.cards(fromHour: 1.0 / 12, toHour: 1.0 / 3) * running
            return policy.update(earlier, demandSince: Int(since), demandLastQuarterHour: Int(quarter), now: later, untilNextRefill: .seconds(2_400))
        }
        // Demand 20 % above the forecast, where the forecast's usual misses are 50 %: the margin
        // already holds more than the surge asks for, so the target is the margin's alone.
        let noisy = update(margin: 0.5, running: 1.2)
        #expect(noisy.surgeFactor > 1.1)
        // (Only the 15 minutes before the restock carry the surge.)
        #expect(Double(noisy.target) < Double(update(margin: 0.5, running: 1).target) * 1.01)
        // The same surge where the forecast seldom misses: the surge decides, and raises the target.
        let steady = update(margin: 0.05, running: 1.2)
        #expect(Double(steady.target) > Double(update(margin: 0.05, running: 1).target) * 1.01)
        #expect(steady.explanation.contains("the larger of that and a 5 % margin"))
    }

    @Test func aWeeklyHistoryFollowsTheDailyCycleAndCoversWhatFollows() {
        let rate: (Int) -> Double = { Self.daily($0, peak: 300) }
        // Tuesday of the third week at 09:00 (the morning climb) and at 22:00 (the evening fall).
        for hour in [9.0, 22.0] {
            let days = 15 + hour / 24
            let (history, now) = Self.history(days: days, rate: rate)
            let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
            let ahead = Self.demandAhead(from: history.counts.count, hours: decision.horizonHours, rate: rate)
            #expect(decision.method == .weekly)
            #expect(Double(decision.forecast) > ahead * 0.9 && Double(decision.forecast) < ahead * 1.1, "forecast \(decision.forecast), demand \(ahead)")
            #expect(Double(decision.target) >= ahead && Double(decision.target) <= ahead * 2, "target \(decision.target), demand \(ahead)")
        }
    }

    @Test func growthWeekOverWeekRaisesTheForecast() {
        // Demand grows 3 % a day: last week's shape, scaled to this week's level.
        let rate: (Int) -> Double = { Self.daily($0, peak: 200) * pow(1.03, Double($0) / 288) }
        let (history, now) = Self.history(days: 21 + 14.0 / 24, rate: rate)
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        let ahead = Self.demandAhead(from: history.counts.count, hours: decision.horizonHours, rate: rate)
        // Three weeks of history also weigh the last six days, which trail growth a little more.
        #expect(Double(decision.forecast) > ahead * 0.85, "forecast \(decision.forecast), demand \(ahead)")
        #expect(Double(decision.target) >= ahead)
    }

    @Test func aSurgeRaisesTheTargetAtOnce() {
        let normal: (Int) -> Double = { Self.daily($0, peak: 200) }
        let (calm, calmNow) = Self.history(days: 14 + 13.0 / 24, rate: normal)
        var counts = calm.counts
        for index in (counts.count - 12)..<counts.count { counts[index] *= 3 }
        let surged = ConsumptionHistory(bucket: calm.bucket, start: calm.start, counts: counts)
        let before = policy.decide(history: calm, now: calmNow, untilNextRefill: .seconds(3_600))
        let after = policy.decide(history: surged, now: calmNow, untilNextRefill: .seconds(3_600))
        #expect(after.surgeFactor > 2)
        // The surge is expected to last an hour and fade over the next two; top-ups measure it again.
        #expect(Double(after.target) > Double(before.target) * 1.5)
        #expect(Double(after.lowWatermark) > Double(before.lowWatermark) * 1.5)
        #expect(after.explanation.contains("running above the forecast"))
    }

    @Test func theClampsDecideWhenTheForecastIsOutsideThem() {
        let (history, now) = Self.history(days: 0.5) { _ in 10_000 }
        let capped = Self.policy(Self.settings { $0.targetMax = 50_000 }).decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        #expect(capped.target == 50_000)
        #expect(capped.clamp == "max")
        #expect(capped.lowWatermark <= 50_000)
        #expect(capped.explanation.contains("POOL_TARGET_MAX"))
        let (quiet, quietNow) = Self.history(days: 0.5) { _ in 1 }
        let floored = Self.policy(Self.settings { $0.targetMin = 2_000 }).decide(history: quiet, now: quietNow, untilNextRefill: .seconds(3_600))
        #expect(floored.target == 2_000)
        #expect(floored.clamp == "min")
    }

    @Test func theSameHistoryAlwaysGivesTheSameAnswer() {
        let (history, now) = Self.history(days: 9.3) { Self.daily($0, peak: 120) }
        let first = policy.decide(history: history, now: now, untilNextRefill: .seconds(1_800))
        #expect(policy.decide(history: history, now: now, untilNextRefill: .seconds(1_800)) == first)
    }

    @Test func betweenRefillsASurgeSinceTheDecisionRaisesTheTargetAndTheWatermark() {
        let rate: (Int) -> Double = { Self.daily($0, peak: 200) }
        let (history, now) = Self.history(days: 14 + 10.0 / 24, rate: rate)
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        // Twenty minutes later, at the demand the forecast expected: nothing changes much.
        let later = now.addingTimeInterval(1_200)
        let expected = Self.demandAhead(from: history.counts.count, hours: 1.0 / 3, rate: rate)
        let quarter = Self.demandAhead(from: history.counts.count + 1, hours: 0.25, rate: rate)
        let calm = policy.update(decision, demandSince: Int(expected), demandLastQuarterHour: Int(quarter), now: later, untilNextRefill: .seconds(2_400))
        #expect(calm.surgeFactor < 1.1)
        #expect(abs(calm.target - decision.target) < decision.target / 10)
        // The same twenty minutes at three times that: the factor follows at once.
        let surged = policy.update(
            decision, demandSince: Int(expected * 3), demandLastQuarterHour: Int(quarter * 3), now: later, untilNextRefill: .seconds(2_400)
        )
        #expect(surged.surgeFactor > 2.3 && surged.surgeFactor < 3.1)
        #expect(Double(surged.lowWatermark) > Double(calm.lowWatermark) * 1.5)
        #expect(surged.demandForecast == decision.demandForecast)
        #expect(!policy.needsHistory(decision, demandSince: Int(expected), now: later, maxAge: .seconds(7_200)))
    }

    @Test func anOldOrShortOrMissingDecisionMeansReadingTheHistory() {
        let (week, weekNow) = Self.history(days: 14) { Self.daily($0, peak: 50) }
        let weekly = policy.decide(history: week, now: weekNow, untilNextRefill: .seconds(3_600))
        #expect(!policy.needsHistory(weekly, demandSince: 10, now: weekNow.addingTimeInterval(600), maxAge: .seconds(7_200)))
        #expect(policy.needsHistory(weekly, demandSince: 10, now: weekNow.addingTimeInterval(7_300), maxAge: .seconds(7_200)))
        #expect(policy.needsHistory(nil, demandSince: 0, now: weekNow, maxAge: .seconds(7_200)))
        let (short, shortNow) = Self.history(days: 0.5) { _ in 10 }
        let recent = policy.decide(history: short, now: shortNow, untilNextRefill: .seconds(3_600))
        #expect(policy.needsHistory(recent, demandSince: 10, now: shortNow.addingTimeInterval(300), maxAge: .seconds(7_200)))
    }

    @Test func theStaticPolicyIsTheFixedTargetWhateverTheDemand() {
        let fixed = Self.policy(Self.settings {
            $0.mode = .static
            $0.fixedTarget = 7_000
            $0.fixedLowWatermark = 1_000
        })
        let (history, now) = Self.history(days: 10) { Self.daily($0, peak: 500) }
        let decision = fixed.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        #expect(decision.target == 7_000)
        #expect(decision.lowWatermark == 1_000)
        #expect(decision.policy == .static && decision.method == .static)
        #expect(decision.demandForecast == nil)
        #expect(fixed.update(decision, demandSince: 99_999, demandLastQuarterHour: 9_999, now: now.addingTimeInterval(600), untilNextRefill: .seconds(3_000)).target == 7_000)
        #expect(decision.explanation.contains("POOL_SIZING=static"))
    }

    @Test func aHolidayLowersTheLevelAndTheDayAfterIsCaughtBetweenRefills() throws {
        // Three quiet days at 40 %, then demand comes back: the decision at the start of the fourth
        // day still expects the quiet level, and the first twenty minutes back correct it.
        let quiet: (Int) -> Double = { index in
            let day = index / 288
            return Self.daily(index, peak: 300) * ((15...17).contains(day) ? 0.4 : 1)
        }
        let (history, now) = Self.history(days: 18 + 9.0 / 24, rate: quiet)
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        let normalAhead = Self.demandAhead(from: history.counts.count, hours: 1.0 / 3) { Self.daily($0, peak: 300) }
        let normalQuarter = Self.demandAhead(from: history.counts.count + 1, hours: 0.25) { Self.daily($0, peak: 300) }
        let updated = policy.update(
            decision, demandSince: Int(normalAhead), demandLastQuarterHour: Int(normalQuarter), now: now.addingTimeInterval(1_200), untilNextRefill: .seconds(2_400)
        )
        // The pool at the new watermark lasts well past the next top-up at the day's normal demand,
        // and the target rises at once; the next hourly refill levels the forecast itself.
        let nextHour = Self.demandAhead(from: history.counts.count + 4, hours: 1) { Self.daily($0, peak: 300) }
        #expect(Double(updated.lowWatermark) >= nextHour, "watermark \(updated.lowWatermark), next hour \(nextHour)")
        let forecast = try #require(decision.demandForecast)
        let asForecast = policy.update(
            decision, demandSince: Int(forecast.cards(fromHour: 0, toHour: 1.0 / 3)), demandLastQuarterHour: Int(forecast.cards(fromHour: 1.0 / 12, toHour: 1.0 / 3)),
            now: now.addingTimeInterval(1_200), untilNextRefill: .seconds(2_400)
        )
        #expect(updated.surgeFactor > 1.3, "surge \(updated.surgeFactor)")
        #expect(updated.target > asForecast.target, "target \(updated.target), at the quiet forecast \(asForecast.target)")
    }

    @Test func theExplanationNamesTheMethodTheMarginAndTheCover() {
        let (history, now) = Self.history(days: 9) { Self.daily($0, peak: 100) }
        let text = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600)).explanation
        #expect(text.contains("the same hours of the last four weeks"))
        #expect(text.contains("margin for forecast errors"))
        #expect(text.contains("4.0 h of TOME outage cover"))
    }

    @Test func theEmptyStartOfTheHistoryWindowIsNoHistoryNotQuietWeeks() {
        // The job reads a 28-day window; a pool two weeks old has zeros before its first card.
        let rate: (Int) -> Double = { Self.daily($0, peak: 200) }
        let (twoWeeks, now) = Self.history(days: 14 + 16.0 / 24, rate: rate)
        let padded = ConsumptionHistory(
            bucket: twoWeeks.bucket, start: twoWeeks.start.addingTimeInterval(-14 * 86_400),
            counts: Array(repeating: 0, count: 14 * 288) + twoWeeks.counts
        )
        let decision = policy.decide(history: padded, now: now, untilNextRefill: .seconds(3_600))
        // The same decision as from the two weeks alone (but for the smoothing of the first bucket).
        let unpadded = policy.decide(history: twoWeeks, now: now, untilNextRefill: .seconds(3_600))
        #expect(decision.method == .weekly && abs(decision.target - unpadded.target) <= unpadded.target / 1_000)
        let ahead = Self.demandAhead(from: twoWeeks.counts.count, hours: decision.horizonHours, rate: rate)
        #expect(Double(decision.forecast) > ahead * 0.9 && Double(decision.forecast) < ahead * 1.1, "forecast \(decision.forecast), demand \(ahead)")
        // Two days of cards in the same window: the daily method, not four weeks of silence.
        let (twoDays, soon) = Self.history(days: 2.5, rate: rate)
        let young = ConsumptionHistory(bucket: twoDays.bucket, start: twoDays.start.addingTimeInterval(-20 * 86_400), counts: Array(repeating: 0, count: 20 * 288) + twoDays.counts)
        #expect(policy.decide(history: young, now: soon, untilNextRefill: .seconds(3_600)).method == .daily)
    }
}
