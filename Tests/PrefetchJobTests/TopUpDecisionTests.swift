import Foundation
import PoolDatabase
@testable import PrefetchJob
import Testing

/// The one top-up decision the job and the demand simulator share: when it updates the last
/// refill's decision from two counts, when it asks for the history, and when it refills.
@Suite("Top-up decision")
struct TopUpDecisionTests {
    /// TOME's default per-call timeout: a full refill then takes 250 s.
    static let requestTimeout: Duration = .seconds(5)
    static let start = Date(timeIntervalSince1970: 1_767_571_200)  // 2026-01-05 00:00 UTC, a Monday

    /// Two weeks at 600 cards an hour, and the weekly decision a refill makes from them.
    static func weeklyDecision(policy: SizingPolicy) -> (SizingDecision, Date) {
        let counts = [Int](repeating: 50, count: 14 * 288)
        let now = start.addingTimeInterval(14 * 86_400)
        let decision = policy.scheduledRefill(history: ConsumptionHistory(bucket: .seconds(300), start: start, counts: counts), now: now)
        return (decision, now)
    }

    /// Demand spread evenly over the half hour since the decision: half of it in the last quarter hour.
    static func observation(_ earlier: SizingDecision?, now: Date, demandSince: Int = 0, available: Int) -> PoolObservation {
        PoolObservation(
            now: now, earlier: earlier, demandSince: demandSince, demandLastQuarterHour: demandSince / 2,
            available: available, sinceScheduledRefill: 1_800
        )
    }

    @Test func withoutADecisionTheHistoryIsAskedFor() {
        let policy = SizingPolicy(requestTimeout: Self.requestTimeout)
        #expect(policy.topUp(Self.observation(nil, now: Self.start, available: 0)) == nil)
    }

    @Test func theStaticPolicyNeverAsksForHistoryAndRefillsBelowItsWatermark() throws {
        var settings = SizingSettings()
        settings.mode = .static
        settings.fixedTarget = 1_000
        settings.fixedLowWatermark = 400
        let policy = SizingPolicy(settings: settings, requestTimeout: Self.requestTimeout)
        let low = try #require(policy.topUp(Self.observation(nil, now: Self.start, available: 399)))
        #expect(low.refill && low.sizing.target == 1_000 && low.sizing.lowWatermark == 400)
        let enough = try #require(policy.topUp(Self.observation(nil, now: Self.start, available: 400)))
        #expect(!enough.refill)
    }

    @Test func aRecentWeeklyDecisionIsUpdatedAndComparedWithTheLevel() throws {
        let policy = SizingPolicy(requestTimeout: Self.requestTimeout)
        let (earlier, madeAt) = Self.weeklyDecision(policy: policy)
        #expect(earlier.method == .weekly)
        let now = madeAt.addingTimeInterval(1_800)
        // Half an hour at the forecast rate (300 cards): the update keeps the refill's sizing.
        let onForecast = try #require(policy.topUp(Self.observation(earlier, now: now, demandSince: 300, available: earlier.lowWatermark)))
        #expect(!onForecast.refill)
        #expect(onForecast.sizing.surgeFactor == 1)
        // Three times the forecast: the target and watermark rise at once, and the same level is now low.
        let surging = try #require(policy.topUp(Self.observation(earlier, now: now, demandSince: 900, available: earlier.lowWatermark)))
        #expect(surging.sizing.surgeFactor > 1.5)
        #expect(surging.sizing.lowWatermark > earlier.lowWatermark)
        #expect(surging.refill)
    }

    @Test func aDecisionOlderThanTwoRefillIntervalsAsksForTheHistory() {
        let policy = SizingPolicy(requestTimeout: Self.requestTimeout)
        let (earlier, madeAt) = Self.weeklyDecision(policy: policy)
        #expect(policy.topUp(Self.observation(earlier, now: madeAt.addingTimeInterval(2 * 3_600 + 60), demandSince: 1_000, available: 0)) == nil)
    }

    @Test func withTheHistoryTheDecisionIsTheRefillsUpToTheNextScheduledRefill() {
        let policy = SizingPolicy(requestTimeout: Self.requestTimeout)
        let counts = [Int](repeating: 50, count: 14 * 288)
        let now = Self.start.addingTimeInterval(14 * 86_400)
        let history = ConsumptionHistory(bucket: .seconds(300), start: Self.start, counts: counts)
        var observed = Self.observation(nil, now: now, available: 0)
        let topUp = policy.topUp(observed, history: history)
        let refill = policy.scheduledRefill(history: history, now: now)
        // Half an hour to the next refill: the top-ups restock sooner, so the same horizon as the refill's.
        #expect(topUp.sizing.horizonHours == refill.horizonHours)
        #expect(topUp.refill)
        // Five minutes to the next refill, sooner than the restock window: ten minutes less to hold.
        observed.sinceScheduledRefill = 3_300
        let late = policy.topUp(observed, history: history)
        #expect(abs(late.sizing.horizonHours - (refill.horizonHours - 10.0 / 60)) < 1e-9)
    }
}
