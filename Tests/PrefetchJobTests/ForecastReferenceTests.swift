import Testing

@testable import PrefetchJob

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the forecast looks back to: odd weeks and surges in the history must not carry into the
/// hours an outage has to be carried through. Each case is one the forecast once got wrong by
/// more than its margin holds.
@Suite struct ForecastReferenceTests {
    let policy = SizingPolicyTests.policy(SizingPolicyTests.settings { $0.targetMax = 5_000_000 })

    /// The forecast over the decision's horizon against the demand that followed, as a ratio.
    func forecastOverActual(days: Double, rate: (Int) -> Double) -> (ratio: Double, decision: SizingDecision) {
        let (history, now) = SizingPolicyTests.history(days: days, rate: rate)
        let decision = policy.decide(history: history, now: now, untilNextRefill: .seconds(3_600))
        let ahead = SizingPolicyTests.demandAhead(from: history.counts.count, hours: decision.horizonHours, rate: rate)
        return (Double(decision.forecast) / ahead, decision)
    }

    @Test func aHolidayWeekAmongTheReferenceWeeksDoesNotLowerTheSameDayWeeksLater() {
        // Monday to Thursday of the third week at 40 %; four weeks on, Monday at nine. With the
        // mean of four Mondays the forecast was 8 % short.
        let rate: (Int) -> Double = { index in
            SizingPolicyTests.daily(index, peak: 300) * ((14...17).contains(index / 288) ? 0.4 : 1)
        }
        let (ratio, decision) = forecastOverActual(days: 28 + 9.0 / 24, rate: rate)
        #expect(decision.method == .weekly)
        #expect(ratio > 0.95 && ratio < 1.05, "forecast over what followed: \(ratio)")
    }

    @Test func aSurgeBothReferencesMissedKeepsTheWeeklyCycle() {
        // Three weeks, the last Saturday tripled from ten to four; then Monday at three in the
        // morning. Weighed by summed squared errors, the surge's blocks made the last six days
        // count as much as the weeks, and a Monday forecast from a weekend came out a fifth short.
        let rate: (Int) -> Double = { index in
            let surged = index / 288 == 19 && (120..<192).contains(index % 288)
            return SizingPolicyTests.daily(index, peak: 300) * (surged ? 3 : 1)
        }
        let (ratio, decision) = forecastOverActual(days: 21 + 3.0 / 24, rate: rate)
        #expect(decision.method == .weekly)
        #expect(ratio > 0.93 && ratio < 1.07, "forecast over what followed: \(ratio)")
    }

    @Test func aWeekAndAnHourOfHistoryForeseesTheFirstMondayMorning() {
        // The pool's first Monday after its first weekend, at three in the morning: the six days
        // before it include the weekend, and scaled to a Sunday night they foresaw a quarter too little.
        let rate: (Int) -> Double = { SizingPolicyTests.daily($0, peak: 300) }
        let (ratio, decision) = forecastOverActual(days: 7 + 3.0 / 24, rate: rate)
        #expect(decision.method == .weekly)
        #expect(ratio > 0.95 && ratio < 1.05, "forecast over what followed: \(ratio)")
        // At a week, the daily reference is all there is.
        let (week, weekNow) = SizingPolicyTests.history(days: 7, rate: rate)
        #expect(policy.decide(history: week, now: weekNow, untilNextRefill: .seconds(3_600)).method == .daily)
    }
}
