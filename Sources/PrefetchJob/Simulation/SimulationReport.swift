#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a simulation measured: demand, the cards that found the pool empty, what the pool held
/// against what an oracle that knows the future would have held, and what it cost in tokens.
public struct SimulationReport: Sendable, Equatable {
    public var peakHour = 0
    public var traceStart = Date(timeIntervalSince1970: 0)
    public var traceEnd = Date(timeIntervalSince1970: 0)
    public var stepSeconds = 0
    public var filledGaps = 0
    public var outages: [DemandSimulator.Outage] = []

    /// Cards wanted over the whole trace.
    public var demand = 0.0
    /// Cards that found the pool empty (two TOME calls each, or no card during an outage).
    public var fallbacks = 0.0
    /// Cards that found the pool empty while TOME was down, or after it came back but before the
    /// first refill after the outage had committed a batch (the outage's recovery).
    public var fallbacksDuringOutages = 0.0
    /// The part of those in the recovery: TOME answered them, two calls each.
    public var fallbacksInRecovery = 0.0
    /// Cards wanted while TOME was down and during the recovery.
    public var outageDemand = 0.0
    /// Available pairs, averaged over every minute, and the most held at once.
    public var inventoryMean = 0.0
    public var inventoryPeak = 0.0
    /// The oracle: right after each hourly refill it holds exactly the next hour's demand plus the outage cover.
    public var oracleInventoryMean = 0.0
    public var pairsIssued = 0.0
    public var pairsExpired = 0.0
    /// TOME calls that issued tokens: two per refill batch and two per card that fell back.
    public var tomeCalls = 0.0
    public var refills = 0
    public var topUps = 0
    public var topUpsNotNeeded = 0
    public var refillsFailed = 0
    /// Refills or top-ups that found the previous refill still running (the lease held).
    public var leaseHeld = 0

    public var fallbacksOutsideOutages: Double { fallbacks - fallbacksDuringOutages }
    public var inventoryRatioToOracle: Double { oracleInventoryMean > 0 ? inventoryMean / oracleInventoryMean : 0 }
    /// Fallbacks during outages as a share of the demand during them.
    public var outageFallbackShare: Double { outageDemand > 0 ? fallbacksDuringOutages / outageDemand : 0 }
}

extension SimulationReport: Encodable {
    private enum Key: String, CodingKey {
        case peakHour, traceStart, traceEnd, stepSeconds, filledGaps, outages
        case demand, fallbacks, fallbacksOutsideOutages, fallbacksDuringOutages, fallbacksInRecovery, outageDemand, outageFallbackShare
        case inventoryMean, inventoryPeak, oracleInventoryMean, inventoryRatioToOracle
        case pairsIssued, pairsExpired, tomeCalls, refills, topUps, topUpsNotNeeded, refillsFailed, leaseHeld
    }

    /// Cards as whole numbers, means and ratios to two decimals: a simulation is an estimate.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(peakHour, forKey: .peakHour)
        try container.encode(traceStart, forKey: .traceStart)
        try container.encode(traceEnd, forKey: .traceEnd)
        try container.encode(stepSeconds, forKey: .stepSeconds)
        try container.encode(filledGaps, forKey: .filledGaps)
        try container.encode(outages, forKey: .outages)
        for (key, value) in [
            (Key.demand, demand), (.fallbacks, fallbacks), (.fallbacksOutsideOutages, fallbacksOutsideOutages),
            (.fallbacksDuringOutages, fallbacksDuringOutages), (.fallbacksInRecovery, fallbacksInRecovery), (.outageDemand, outageDemand), (.inventoryPeak, inventoryPeak),
            (.pairsIssued, pairsIssued), (.pairsExpired, pairsExpired), (.tomeCalls, tomeCalls),
        ] {
            try container.encode(Int(value.rounded()), forKey: key)
        }
        for (key, value) in [
            (Key.inventoryMean, inventoryMean), (.oracleInventoryMean, oracleInventoryMean),
            (.inventoryRatioToOracle, inventoryRatioToOracle), (.outageFallbackShare, outageFallbackShare),
        ] {
            try container.encode((value * 10_000).rounded() / 10_000, forKey: key)
        }
        for (key, value) in [
            (Key.refills, refills), (.topUps, topUps), (.topUpsNotNeeded, topUpsNotNeeded), (.refillsFailed, refillsFailed), (.leaseHeld, leaseHeld),
        ] {
            try container.encode(value, forKey: key)
        }
    }

    /// One line of JSON with sorted keys.
    public func json() -> String {
        JSONLine.encode(self)
    }

    /// The simulation as a reader wants it: what happened, then how it compares with the oracle.
    public func text(policy: String) -> String {
        func cards(_ value: Double) -> String { Int(value.rounded()).formatted() }
        var lines = [
            "simulated \(traceStart.formatted(.iso8601)) to \(traceEnd.formatted(.iso8601)) (step \(stepSeconds / 60) min\(filledGaps > 0 ? ", \(filledGaps) missing rows filled in" : "")), busiest hour \(peakHour.formatted()) cards, policy \(policy)",
            "demand:      \(cards(demand)) cards",
            "fallbacks:   \(cards(fallbacks)) cards found the pool empty (\(cards(fallbacksOutsideOutages)) outside outages)",
        ]
        for outage in outages {
            lines.append("outage:      \(outage.start.formatted(.iso8601)) for \(outage.hours) h")
        }
        if outageDemand > 0 {
            lines.append("in outages:  \(cards(fallbacksDuringOutages)) of \(cards(outageDemand)) cards found the pool empty (\(String(format: "%.2f", outageFallbackShare * 100)) %; \(cards(fallbacksInRecovery)) after TOME was back, before the first refill landed)")
        }
        lines.append("inventory:   mean \(cards(inventoryMean)), peak \(cards(inventoryPeak)); the oracle's mean \(cards(oracleInventoryMean)) (ratio \(String(format: "%.2f", inventoryRatioToOracle)))")
        lines.append("tokens:      \(cards(pairsIssued)) pairs issued, \(cards(pairsExpired)) expired, \(cards(tomeCalls)) TOME calls")
        lines.append("runs:        \(refills) hourly refills, \(topUps) top-ups that refilled, \(topUpsNotNeeded) not needed, \(refillsFailed) failed (TOME down), \(leaseHeld) found a refill running")
        return lines.joined(separator: "\n")
    }
}
