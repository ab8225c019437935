import Foundation
import PrefetchJob
import Testing

/// The demand simulator's accounting on a trace small enough to check by hand, its failure
/// paths, and the production policy simulated over the repository's synthetic traces.
@Suite("Demand simulator")
struct DemandSimulatorTests {
    /// Six hours from 2026-01-05 00:00 UTC, one row an hour: 10, 20, 40, 20, 10 and 0 cards.
    static let small = """
        timestamp,value
        2026-01-05T00:00:00Z,10
        2026-01-05T01:00:00Z,20
        2026-01-05T02:00:00Z,40
        2026-01-05T03:00:00Z,20
        2026-01-05T04:00:00Z,10
        2026-01-05T05:00:00Z,0
        """

    /// The static policy at `target`, with refills that land at once (their duration is 0).
    static func staticPolicy(target: Int, ttlHours: Int? = nil) -> SizingPolicy {
        var settings = SizingSettings()
        settings.mode = .static
        settings.fixedTarget = target
        settings.pairTimeToLive = ttlHours.map { .seconds($0 * 3_600) }
        return SizingPolicy(settings: settings, requestTimeout: .zero)
    }

    static func time(_ text: String) -> Date {
        Date(timeIntervalSince1970: Double(DemandTrace.parseTime(text)!))
    }

    @Test func theSmallTraceAddsUpByHand() throws {
        let trace = try DemandTrace(csv: Self.small)
        #expect(trace.step == 3_600 && trace.values == [10, 20, 40, 20, 10, 0])
        let report = try DemandSimulator(policy: Self.staticPolicy(target: 100)).run(trace, peakHour: 40)
        #expect(abs(report.demand - 100) < 1e-9)
        #expect(report.fallbacks < 1e-9)
        // Each hour starts at 100 and drains by its demand: means 95, 90, 80, 90, 95, 100.
        #expect(abs(report.inventoryMean - 550.0 / 6) < 1e-6)
        #expect(abs(report.inventoryPeak - 100) < 1e-6)
        // The oracle holds the rest of the hour plus the next four: 95, 80, 50, 20, 5, 0.
        #expect(abs(report.oracleInventoryMean - 250.0 / 6) < 1e-6)
        #expect(abs(report.inventoryRatioToOracle - 2.2) < 1e-6)
        // The first fill, then each hour refills what the last one used.
        #expect(report.pairsIssued == 200)
        #expect(report.tomeCalls == 12)
        #expect(report.refills == 6)
        #expect(report.topUps == 0 && report.topUpsNotNeeded == 66)
    }

    @Test func scalingMakesTheBusiestClockHourThePeak() throws {
        let report = try DemandSimulator(policy: Self.staticPolicy(target: 100_000)).run(DemandTrace(csv: Self.small), peakHour: 4_000)
        #expect(abs(report.demand - 10_000) < 1e-6)
    }

    @Test func anOutageFailsRefillsAndCountsTheCardsThatFoundThePoolEmpty() throws {
        // TOME is down 01:00-04:00 and the pool holds 50: it lasts into 02:00, then 20 + 20 cards find it empty.
        let outage = DemandSimulator.Outage(start: Self.time("2026-01-05T01:00:00Z"), hours: 3)
        let report = try DemandSimulator(policy: Self.staticPolicy(target: 50)).run(DemandTrace(csv: Self.small), peakHour: 40, outages: [outage])
        #expect(abs(report.fallbacks - 40) < 1e-6)
        #expect(abs(report.fallbacksDuringOutages - 40) < 1e-6)
        #expect(report.fallbacksOutsideOutages < 1e-6)
        #expect(abs(report.outageDemand - 80) < 1e-6)
        #expect(abs(report.outageFallbackShare - 0.5) < 1e-6)
        // The refills at 01:00, 02:00 and 03:00 failed, and every top-up below the watermark (12) until 04:00.
        #expect(report.refillsFailed >= 3)
        // 50 at first, 50 at 04:00 into the empty pool, 10 at 05:00.
        #expect(report.pairsIssued == 110)
    }

    @Test func pairsExpireOldestFirstAfterTheirTimeToLive() throws {
        let report = try DemandSimulator(policy: Self.staticPolicy(target: 100, ttlHours: 2)).run(DemandTrace(csv: Self.small), peakHour: 40)
        // The first fill's 70 left at 02:00, 40 of 02:00's refill at 04:00, 30 of 03:00's at 05:00.
        #expect(abs(report.pairsExpired - 140) < 1e-6)
        #expect(report.pairsIssued == 340)
        #expect(report.fallbacks < 1e-9)
    }

    @Test func badTracesAreRefusedNamingTheLine() {
        let cases: [(String, String)] = [
            ("", "line 1: the file is empty"),
            ("time,value\n2026-01-05T00:00:00Z,1\n", "line 1: the header must be timestamp,value"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05 00:05:00,x\n", "line 3: \"x\" is not a demand value"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-13-05 00:05:00,1\n", "line 3: \"2026-13-05 00:05:00\" is not a UTC time"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:05:00Z,-2\n", "line 3: \"-2\" is not a demand value"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:00:30Z,1\n", "line 3: the step is 30 s"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n2026-01-05T00:05:00Z,1\n2026-01-05T00:12:00Z,1\n", "line 4: it is 420 s after the previous row"),
            ("timestamp,value\n2026-01-05T00:05:00Z,1\n2026-01-05T00:00:00Z,1\n", "line 3: its time is not after the previous line's"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1,2\n", "line 2: expected two fields"),
            ("timestamp,value\n2026-01-05T00:00:00Z,1\n", "a trace needs at least two rows"),
        ]
        for (csv, message) in cases {
            #expect(throws: SimulationError.self) { try DemandTrace(csv: csv) }
            do {
                _ = try DemandTrace(csv: csv)
            } catch {
                #expect(error.description.hasPrefix(message) || error.description.contains(message), "\(error.description)")
            }
        }
    }

    @Test func missingRowsAreFilledBetweenTheirNeighbours() throws {
        let trace = try DemandTrace(csv: "timestamp,value\n2014-04-10 00:04:00,10\n2014-04-10 00:09:00,20\n2014-04-10 00:24:00,50\n")
        #expect(trace.step == 300)
        #expect(trace.values == [10, 20, 30, 40, 50])
        #expect(trace.filledGaps == 2)
    }

    @Test func anOutageOutsideTheTraceOrATraceWithoutDemandIsAnError() throws {
        let trace = try DemandTrace(csv: Self.small)
        let simulator = DemandSimulator(policy: Self.staticPolicy(target: 10))
        #expect(throws: SimulationError.self) {
            try simulator.run(trace, peakHour: 10, outages: [.init(start: Self.time("2025-01-01T00:00:00Z"), hours: 2)])
        }
        #expect(throws: SimulationError.self) {
            try simulator.run(DemandTrace(csv: "timestamp,value\n2026-01-05T00:00:00Z,0\n2026-01-05T01:00:00Z,0\n"), peakHour: 10)
        }
    }

    /// The repository's traces under the deployed defaults, scaled to 40,000 cards in the busiest
    /// hour: no card finds the pool empty outside an outage, a 4-hour outage is ridden out, and
    /// the pool holds at most 1.5 × what the oracle holds.
    @Test(arguments: ["daily-weekly", "growth", "surge", "holiday", "flash"])
    func theForecastPolicyMeetsItsTargetsOnTheSyntheticTraces(name: String) throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../demand/\(name).csv")
        let trace = try DemandTrace(csv: String(contentsOf: url, encoding: .utf8))
        let policy = try SizingPolicy(environment: [:])
        // An outage starting at the busiest time of a weekday in the trace's fifth week.
        let outageStart = Date(timeIntervalSince1970: Double(trace.start + 31 * 86_400 + 11 * 3_600))
        let report = try DemandSimulator(policy: policy).run(trace, peakHour: 40_000, outages: [.init(start: outageStart, hours: 4)])
        #expect(report.fallbacksOutsideOutages < 0.5, "\(name): \(report.json())")
        #expect(report.outageFallbackShare <= 0.02, "\(name): \(report.json())")
        #expect(report.inventoryRatioToOracle <= 1.5, "\(name): \(report.json())")
    }
}
