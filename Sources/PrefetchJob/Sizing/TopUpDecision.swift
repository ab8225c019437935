#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import PoolDatabase

/// What a top-up (or `status`) sees between refills: the last refill's decision, the demand
/// recorded since it was made, and the pool's level. The job reads it from the database; the
/// demand simulator keeps it as it simulates.
struct PoolObservation: Sendable, Equatable {
    var now: Date
    /// The last stored decision; nil before the first refill.
    var earlier: SizingDecision?
    /// Assignments recorded since `earlier`'s forecast was made.
    var demandSince: Int
    /// Assignments in the last quarter hour of that.
    var demandLastQuarterHour: Int
    /// Available (unexpired) pairs.
    var available: Int
    /// Seconds since the last refill was scheduled to start; nil when none has run.
    var sinceScheduledRefill: Double?
}

/// A top-up's decision: the sizing it acts on, and whether the pool is low enough to refill.
struct TopUpDecision: Sendable, Equatable {
    var sizing: SizingDecision
    /// The pool is below the sizing's low watermark: refill to its target.
    var refill: Bool

    init(sizing: SizingDecision, available: Int) {
        self.sizing = sizing
        refill = available < sizing.lowWatermark
    }
}

extension SizingPolicy {
    /// Whether a refill's decision needs the consumption history (the static policy needs none).
    var readsHistory: Bool { settings.mode == .forecast }

    /// The hourly refill's decision: from the whole history, with the next refill an interval away.
    func scheduledRefill(history: ConsumptionHistory, now: Date) -> SizingDecision {
        decide(history: history, now: now, untilNextRefill: settings.refillInterval)
    }

    /// The one top-up decision, for the job and the demand simulator alike: the last refill's
    /// decision updated from two counts, or nil when it cannot be (see `needsHistory`) and the
    /// history must be read for `topUp(_:history:)`. Pure: no I/O and no clock.
    func topUp(_ observed: PoolObservation) -> TopUpDecision? {
        guard readsHistory else { return topUp(observed, history: ConsumptionHistory.none(at: observed.now)) }
        guard let earlier = observed.earlier,
            !needsHistory(earlier, demandSince: observed.demandSince, now: observed.now, maxAge: settings.refillInterval * 2)
        else { return nil }
        let sizing = update(
            earlier, demandSince: observed.demandSince, demandLastQuarterHour: observed.demandLastQuarterHour,
            now: observed.now, untilNextRefill: settings.untilNextRefill(since: observed.sinceScheduledRefill)
        )
        return TopUpDecision(sizing: sizing, available: observed.available)
    }

    /// The top-up decision from the whole history, as a refill decides, up to the next scheduled refill.
    func topUp(_ observed: PoolObservation, history: ConsumptionHistory) -> TopUpDecision {
        let untilNext = settings.untilNextRefill(since: observed.sinceScheduledRefill)
        return TopUpDecision(sizing: decide(history: history, now: observed.now, untilNextRefill: untilNext), available: observed.available)
    }
}

extension ConsumptionHistory {
    /// The buckets the job reads and the simulator records: fine enough for a surge within the
    /// hour, coarse enough to read weeks of history.
    static let sizingBucket: Duration = .seconds(300)

    /// No history, as the static policy sees it.
    static func none(at now: Date) -> ConsumptionHistory {
        ConsumptionHistory(bucket: sizingBucket, start: now, counts: [])
    }
}
