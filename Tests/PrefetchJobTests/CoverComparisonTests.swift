import Foundation
import PrefetchJob
import Testing

/// Comparing `POOL_COVER_HOURS` settings on one demand: one full simulation per cover, in the
/// order asked, each row adding up, and a longer cover never holding less.
@Suite("Cover comparison")
struct CoverComparisonTests {
    /// Three days of 5-minute buckets from 2026-01-05 00:00 UTC, busy by day, quiet at night: cards as recorded.
    static let threeDays = DemandTrace(start: 1_767_571_200, step: 300, values: (0..<(3 * 288)).map(DailyDemand.cards(inBucket:)))

    /// The deployed defaults but a first fill of 200 (`POOL_TARGET`): the default 10,000 would
    /// outlast three days of this demand whatever the cover, and hide what the cover changes.
    static let policy: SizingPolicy = {
        var settings = SizingSettings()
        settings.fixedTarget = 200
        return SizingPolicy(settings: settings, requestTimeout: .seconds(2))
    }()

    /// A 4-hour outage from noon on the third day, the busiest time of the trace.
    static let busyOutage = DemandSimulator.Outage(start: Date(timeIntervalSince1970: 1_767_571_200 + 2 * 86_400 + 12 * 3_600), hours: 4)

    @Test func eachCoverIsAFullSimulationInTheOrderAsked() throws {
        let simulator = DemandSimulator(policy: Self.policy)
        let covers = [8.0, 1, 4, 2]
        let comparison = try simulator.compareCover(Self.threeDays, coverHours: covers, peakHour: nil, outages: [Self.busyOutage])
        #expect(comparison.rows.map(\.coverHours) == covers)
        for row in comparison.rows {
            #expect(row.fallbacks == row.fallbacksOutsideOutages + row.fallbacksDuringOutages)
            // The same row as a simulation of its own with POOL_COVER_HOURS set to it.
            var alone = simulator
            alone.policy.settings.coverHours = row.coverHours
            let report = try alone.run(Self.threeDays, peakHour: nil, outages: [Self.busyOutage])
            #expect(row == CoverComparison.Row(coverHours: row.coverHours, report: report))
        }
        let byCover = comparison.rows.sorted { $0.coverHours < $1.coverHours }
        for (shorter, longer) in zip(byCover, byCover.dropFirst()) {
            #expect(shorter.inventoryMean <= longer.inventoryMean, "\(shorter) against \(longer)")
            #expect(shorter.fallbacksDuringOutages >= longer.fallbacksDuringOutages, "\(shorter) against \(longer)")
        }
    }

    @Test func recordedDemandIsSimulatedAsCardsUnlessAPeakHourScalesIt() throws {
        let simulator = DemandSimulator(policy: Self.policy)
        let asRecorded = try simulator.run(Self.threeDays, peakHour: nil)
        #expect(abs(asRecorded.demand - Self.threeDays.values.reduce(0, +)) < 1e-6)
        // The busiest clock hours, 14:00 and 15:00, hold 264 cards each.
        #expect(asRecorded.peakHour == 264)
        let scaled = try simulator.run(Self.threeDays, peakHour: 2_640)
        #expect(abs(scaled.demand - 10 * asRecorded.demand) < 1e-6)
    }

    @Test func theJSONIsOneLineOfRowsThatAddUp() throws {
        let comparison = try DemandSimulator(policy: Self.policy)
            .compareCover(Self.threeDays, coverHours: [1, 2], peakHour: nil, outages: [Self.busyOutage])
        let line = comparison.json()
        #expect(!line.contains("\n"))
        let decoded = try JSONDecoder().decode([String: [[String: Double]]].self, from: Data(line.utf8))
        #expect(decoded.keys.sorted() == ["rows"])
        let rows = decoded["rows"] ?? []
        #expect(rows.count == 2)
        let keys: Set<String> = ["coverHours", "inventoryMean", "inventoryPeak", "pairsIssued", "fallbacks", "fallbacksOutsideOutages", "fallbacksDuringOutages"]
        for row in rows {
            #expect(Set(row.keys) == keys)
            #expect(row["fallbacks"] == (row["fallbacksOutsideOutages"] ?? -1) + (row["fallbacksDuringOutages"] ?? -1))
        }
        let text = comparison.text(policy: "forecast")
        #expect(text.split(separator: "\n").count == 4)
        #expect(text.contains("outage 2026-01-07T12:00:00Z for 4 h"))
    }

    @Test(arguments: [
        ("1,2,x", "\"x\" is not one"), ("1,,4", "\"\" is not one"), ("0", "\"0\" is not one"),
        ("4,169", "\"169\" is not one"), ("-2", "\"-2\" is not one"), ("nan", "\"nan\" is not one"),
    ])
    func aBadCoverListNamesTheBadItem(list: String, message: String) {
        #expect(throws: SimulationError.self) { try CoverComparison.parseCoverHours(list) }
        do {
            _ = try CoverComparison.parseCoverHours(list)
        } catch {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func aGoodCoverListKeepsItsOrder() throws {
        #expect(try CoverComparison.parseCoverHours("8, 1,2.5,168") == [8, 1, 2.5, 168])
    }
}
