import PoolDatabase

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Simulates a demand trace against the production sizing code in virtual time, minute by minute:
/// hourly refills and 5-minute top-ups as deployed, each refill taking as long as the TOME
/// settings imply, refills failing during TOME outages, pairs expiring after their time to live.
/// The history the policy sees is the demand simulated so far, as the job reads it from
/// `token_assignment` (cards that found the pool empty during an outage were never created, so
/// they are missing from it, as they would be).
public struct DemandSimulator: Sendable {
    /// A TOME outage: every refill and fallback fails from `start` for `hours`.
    public struct Outage: Sendable, Equatable, Codable {
        public var start: Date
        public var hours: Double

        public init(start: Date, hours: Double) {
            self.start = start
            self.hours = hours
        }
    }

    /// The job's own sizing policy, with the settings it runs with (`SizingPolicy(environment:)`).
    public var policy: SizingPolicy
    /// Whether the 5-minute top-up runs; without it, hourly refills only (the job before top-ups).
    public var topUps: Bool

    public init(policy: SizingPolicy, topUps: Bool = true) {
        var policy = policy
        // Without top-ups nothing restocks between refills: the target must last the whole interval.
        if !topUps { policy.settings.topUpInterval = policy.settings.refillInterval }
        self.policy = policy
        self.topUps = topUps
    }

    /// Simulates `trace` scaled so that its busiest clock hour is `peakHour` cards; nil takes
    /// its values as cards, as recorded (`RefillJob.recordedDemand`).
    public func run(_ trace: DemandTrace, peakHour: Int?, outages: [Outage] = []) throws(SimulationError) -> SimulationReport {
        let (origin, relative) = trace.perMinute()
        let busiest = Self.busiestClockHour(relative, origin: origin)
        guard busiest > 0 else { throw SimulationError("the trace has no demand: every value is 0") }
        let scale = peakHour.map { Double($0) / busiest } ?? 1
        var simulation = Simulation(policy: policy, topUps: topUps, origin: origin, demand: relative.map { $0 * scale })
        for outage in outages {
            let start = Int(outage.start.timeIntervalSince1970)
            guard start >= trace.start, start < trace.end else {
                throw SimulationError("the outage at \(outage.start.formatted(.iso8601)) is not inside the trace (\(Date(timeIntervalSince1970: Double(trace.start)).formatted(.iso8601)) to \(Date(timeIntervalSince1970: Double(trace.end)).formatted(.iso8601)))")
            }
            guard outage.hours > 0, outage.hours <= 168 else { throw SimulationError("an outage lasts more than 0 and at most 168 hours, got \(outage.hours)") }
            simulation.markOutage(fromSecond: start, hours: outage.hours)
        }
        var report = simulation.run()
        report.peakHour = peakHour ?? Int(busiest.rounded())
        report.outages = outages
        report.traceStart = Date(timeIntervalSince1970: Double(trace.start))
        report.traceEnd = Date(timeIntervalSince1970: Double(trace.end))
        report.stepSeconds = trace.step
        report.filledGaps = trace.filledGaps
        return report
    }

    /// The most demand in one clock hour (UTC), partial hours at the ends included.
    static func busiestClockHour(_ minutes: [Double], origin: Int) -> Double {
        var hours: [Int: Double] = [:]
        for (index, value) in minutes.enumerated() where value > 0 {
            hours[(origin / 60 + index).floorDivided(by: 60), default: 0] += value
        }
        return hours.values.max() ?? 0
    }
}

/// The simulation's state, minute by minute.
private struct Simulation {
    let policy: SizingPolicy
    let topUps: Bool
    var settings: SizingSettings { policy.settings }
    /// The first minute, in seconds since 1970 (a whole minute).
    let origin: Int
    /// Cards wanted in each minute.
    let demand: [Double]
    /// `demandPrefix[m]`: cards wanted before minute `m`, for the oracle.
    let demandPrefix: [Double]
    var outage: [Bool]

    /// Pairs in the pool, oldest first, with the minute each expires (nil: never).
    var cohorts: [(pairs: Double, expires: Int?)] = []
    var firstCohort = 0
    var available = 0.0
    /// A refill in flight: when it started and ends, the pairs it planned, and those committed so far.
    var inFlight: (started: Int, ends: Int, pairs: Int, committed: Int)?
    var latest: SizingDecision?
    /// TOME is back after an outage, and no refill after it has committed a batch yet.
    var recovering = false
    /// Assignments recorded per 5-minute bucket (epoch-aligned), and per minute (prefix sums).
    var buckets: [Double] = []
    /// The complete buckets as whole assignments, as the database counts them.
    var completeBuckets: [Int] = []
    let firstBucket: Int
    var recordedPrefix: [Double]
    var report = SimulationReport()

    init(policy: SizingPolicy, topUps: Bool, origin: Int, demand: [Double]) {
        self.policy = policy
        self.topUps = topUps
        self.origin = origin
        self.demand = demand
        var prefix = [Double](repeating: 0, count: demand.count + 1)
        for (index, cards) in demand.enumerated() { prefix[index + 1] = prefix[index] + cards }
        demandPrefix = prefix
        outage = [Bool](repeating: false, count: demand.count)
        firstBucket = origin.floorDivided(by: 300)
        recordedPrefix = [0]
        recordedPrefix.reserveCapacity(demand.count + 1)
    }

    mutating func markOutage(fromSecond start: Int, hours: Double) {
        let first = max(0, (start - origin) / 60)
        let last = min(demand.count, first + Int((hours * 60).rounded(.up)))
        for minute in first..<last { outage[minute] = true }
    }

    mutating func run() -> SimulationReport {
        let hourMinutes = Int(settings.refillInterval.components.seconds / 60)
        let topUpMinutes = max(1, Int(settings.topUpInterval.components.seconds / 60))
        var inventorySum = 0.0
        var oracleSum = 0.0
        // A deployment fills the pool (`tome-prefetch refill`) before the first card is routed to it.
        refill(at: 0, scheduled: true)
        if let first = inFlight {
            inFlight = (0, 0, first.pairs, first.committed)
            land(at: 0)
        }
        for minute in 0..<demand.count {
            if minute > 0 && outage[minute - 1] && !outage[minute] { recovering = true }
            expire(at: minute)
            land(at: minute)
            let clock = origin / 60 + minute
            if minute == 0 {
                // Filled above.
            } else if clock % hourMinutes == 0 {
                refill(at: minute, scheduled: true)
            } else if topUps && clock % topUpMinutes == 0 {
                refill(at: minute, scheduled: false)
            }
            report.inventoryPeak = max(report.inventoryPeak, available)
            let before = available
            consume(at: minute)
            inventorySum += (before + available) / 2
            // The oracle refilled at the top of this hour to exactly the next hour plus the cover.
            let coverMinutes = Int((settings.coverHours * 60).rounded())
            let horizonEnd = min(demand.count, (clock / hourMinutes + 1) * hourMinutes - origin / 60 + coverMinutes)
            let held = demandPrefix[max(minute, horizonEnd)] - demandPrefix[minute]
            oracleSum += held - demand[minute] / 2
        }
        let minutes = Double(max(1, demand.count))
        report.inventoryMean = inventorySum / minutes
        report.oracleInventoryMean = oracleSum / minutes
        return report
    }

    private mutating func expire(at minute: Int) {
        while firstCohort < cohorts.count, let expires = cohorts[firstCohort].expires, expires <= minute {
            report.pairsExpired += cohorts[firstCohort].pairs
            available -= cohorts[firstCohort].pairs
            firstCohort += 1
        }
    }

    /// A refill's batches commit one round after another, so its pairs land evenly over its
    /// duration, whole batches at a time; an outage stops the batches it has not committed.
    private mutating func land(at minute: Int) {
        guard let refill = inFlight else { return }
        if outage[minute] && minute > refill.started {
            inFlight = nil
            return
        }
        let done = refill.ends <= minute
            ? refill.pairs
            : min(refill.pairs, Int(Double(refill.pairs) * Double(minute - refill.started) / Double(refill.ends - refill.started)) / settings.batchSize * settings.batchSize)
        let pairs = done - refill.committed
        inFlight = done == refill.pairs ? nil : (refill.started, refill.ends, refill.pairs, done)
        guard pairs > 0 else { return }
        recovering = false
        report.pairsIssued += Double(pairs)
        report.tomeCalls += Double(2 * BatchPlan(plannedPairs: pairs, batchSize: settings.batchSize).batchCount)
        let ttl = settings.pairTimeToLive.map { Int($0.components.seconds / 60) }
        cohorts.append((Double(pairs), ttl.map { minute + $0 }))
        available += Double(pairs)
    }

    /// The hourly refill, or a top-up: decide as the job decides (`SizingPolicy.scheduledRefill`
    /// and `topUp`), and start a refill unless the lease is taken, TOME is down, or (a top-up)
    /// the pool is at or above its low watermark.
    private mutating func refill(at minute: Int, scheduled: Bool) {
        guard inFlight == nil else {
            report.leaseHeld += 1
            return
        }
        let now = Date(timeIntervalSince1970: Double(origin + minute * 60))
        let decision: SizingDecision
        if scheduled {
            decision = policy.scheduledRefill(history: history(upTo: minute), now: now)
        } else {
            let observed = observation(at: minute, now: now)
            let topUp = policy.topUp(observed) ?? policy.topUp(observed, history: history(upTo: minute))
            guard topUp.refill else {
                report.topUpsNotNeeded += 1
                return
            }
            decision = topUp.sizing
        }
        guard !outage[minute] else {
            report.refillsFailed += 1
            return
        }
        if scheduled { report.refills += 1 } else { report.topUps += 1 }
        latest = decision
        let planned = RefillPlan(target: decision.target, available: Int(available.rounded()), cap: settings.maxPairsPerRun, batchSize: settings.batchSize)
            .plannedPairs
        guard planned > 0 else { return }
        let seconds = Double(policy.refillDuration(pairs: planned).components.seconds)
        inFlight = (minute, minute + Int((seconds / 60).rounded(.up)), planned, 0)
        land(at: minute)
    }

    /// What a top-up at `minute` reads from the database, from the simulation so far.
    private func observation(at minute: Int, now: Date) -> PoolObservation {
        let clock = origin / 60 + minute
        let intervalMinutes = Int(settings.refillInterval.components.seconds / 60)
        return PoolObservation(
            now: now, earlier: latest,
            demandSince: latest.map { demandSince($0, minute: minute) } ?? 0,
            demandLastQuarterHour: latest.map { demandSince($0, minute: minute, within: 15) } ?? 0,
            available: Int(available.rounded(.down)), sinceScheduledRefill: Double(clock % intervalMinutes * 60)
        )
    }

    /// Cards take the oldest pairs first; the rest fall back to TOME, which fails during an outage
    /// (those cards are never created, so no assignment records them).
    private mutating func consume(at minute: Int) {
        let wanted = demand[minute]
        var left = wanted
        while left > 0, firstCohort < cohorts.count {
            let take = min(left, cohorts[firstCohort].pairs)
            cohorts[firstCohort].pairs -= take
            left -= take
            available -= take
            if cohorts[firstCohort].pairs <= 1e-9 { firstCohort += 1 }
        }
        if firstCohort > 4_096 {
            cohorts.removeFirst(firstCohort)
            firstCohort = 0
        }
        available = max(0, available)
        report.demand += wanted
        report.fallbacks += left
        var recorded = wanted
        if outage[minute] {
            report.outageDemand += wanted
            report.fallbacksDuringOutages += left
            recorded -= left
        } else {
            if recovering {
                // The outage emptied the pool and the first refill after it has not landed yet.
                report.outageDemand += wanted
                report.fallbacksDuringOutages += left
                report.fallbacksInRecovery += left
            }
            report.tomeCalls += 2 * left
        }
        recordedPrefix.append(recordedPrefix[recordedPrefix.count - 1] + recorded)
        let bucket = (origin / 60 + minute).floorDivided(by: 5) - firstBucket
        while buckets.count <= bucket { buckets.append(0) }
        buckets[bucket] += recorded
    }

    /// The complete 5-minute buckets before `minute`, over the history window, as the job reads them.
    private mutating func history(upTo minute: Int) -> ConsumptionHistory {
        let complete = min(buckets.count, (origin / 60 + minute).floorDivided(by: 5) - firstBucket)
        while completeBuckets.count < complete { completeBuckets.append(Int(buckets[completeBuckets.count].rounded())) }
        let window = Int(settings.historyWindow.components.seconds / 300)
        let first = max(0, complete - window)
        let counts = Array(completeBuckets[first..<max(first, complete)])
        return ConsumptionHistory(bucket: ConsumptionHistory.sizingBucket, start: Date(timeIntervalSince1970: Double((firstBucket + first) * 300)), counts: counts)
    }

    /// Assignments recorded since `decision`'s forecast was made, or in the last `within` minutes of that.
    private func demandSince(_ decision: SizingDecision, minute: Int, within: Int? = nil) -> Int {
        guard let madeAt = decision.demandForecast?.madeAt else { return 0 }
        let made = (Int(madeAt.timeIntervalSince1970) - origin) / 60
        let from = max(0, min(minute, max(made, within.map { minute - $0 } ?? made)))
        return Int((recordedPrefix[minute] - recordedPrefix[from]).rounded())
    }
}

extension Int {
    /// Division that rounds towards minus infinity, for times before 1970 too.
    func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}

/// A simulation that cannot run, or a demand trace that cannot be read: the message says why
/// (for a trace, the line and what is wrong with it).
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }

    static func trace(line: Int, problem: String) -> SimulationError {
        SimulationError("line \(line): \(problem)")
    }
}
