#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One demand simulated at several `POOL_COVER_HOURS`, everything else as deployed: what each
/// cover costs in pre-issued tokens (inventory, pairs issued) and what it saves (cards that
/// found the pool empty during an outage).
public struct CoverComparison: Sendable, Equatable {
    /// One simulation's answer at one cover, in whole cards except the mean.
    public struct Row: Sendable, Equatable {
        public var coverHours: Double
        public var inventoryMean: Double
        public var inventoryPeak: Int
        public var pairsIssued: Int
        public var fallbacksOutsideOutages: Int
        public var fallbacksDuringOutages: Int

        /// Every card that found the pool empty: the two parts rounded first, so the row adds up.
        public var fallbacks: Int { fallbacksOutsideOutages + fallbacksDuringOutages }

        public init(coverHours: Double, report: SimulationReport) {
            self.coverHours = coverHours
            inventoryMean = report.inventoryMean
            inventoryPeak = Int(report.inventoryPeak.rounded())
            pairsIssued = Int(report.pairsIssued.rounded())
            fallbacksOutsideOutages = Int(report.fallbacksOutsideOutages.rounded())
            fallbacksDuringOutages = Int(report.fallbacksDuringOutages.rounded())
        }
    }

    /// One row per cover, in the order asked.
    public var rows: [Row]
    /// What was simulated, for the table's heading: the trace's span, its busiest hour, the outages.
    public var traceStart = Date(timeIntervalSince1970: 0)
    public var traceEnd = Date(timeIntervalSince1970: 0)
    public var peakHour = 0
    public var outages: [DemandSimulator.Outage] = []

    public init(rows: [Row]) {
        self.rows = rows
    }

    /// `--cover-hours`: positive hours, at most a week (`POOL_COVER_HOURS`'s own bound), comma
    /// separated; a bad item is named.
    public static func parseCoverHours(_ list: String) throws(SimulationError) -> [Double] {
        try list.split(separator: ",", omittingEmptySubsequences: false).map { item throws(SimulationError) in
            let text = item.trimmingCharacters(in: .whitespaces)
            guard let hours = Double(text), hours.isFinite, hours > 0, hours <= 168 else {
                throw SimulationError("--cover-hours takes hours above 0 and at most 168, comma separated; \"\(text.prefix(32))\" is not one")
            }
            return hours
        }
    }
}

extension DemandSimulator {
    /// Simulates `trace` once per entry of `coverHours`, with the policy's `coverHours` set to it
    /// and every other setting unchanged, under the same outages.
    public func compareCover(
        _ trace: DemandTrace, coverHours: [Double], peakHour: Int?, outages: [Outage] = []
    ) throws(SimulationError) -> CoverComparison {
        var comparison = CoverComparison(rows: [])
        for hours in coverHours {
            var simulator = self
            simulator.policy.settings.coverHours = hours
            let report = try simulator.run(trace, peakHour: peakHour, outages: outages)
            comparison.rows.append(CoverComparison.Row(coverHours: hours, report: report))
            (comparison.traceStart, comparison.traceEnd, comparison.peakHour) = (report.traceStart, report.traceEnd, report.peakHour)
        }
        comparison.outages = outages
        return comparison
    }
}

extension CoverComparison: Encodable {
    private enum Key: String, CodingKey { case rows }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(rows, forKey: .rows)
    }

    /// `{"rows": [...]}` on one line.
    public func json() -> String {
        JSONLine.encode(self)
    }

    /// What was simulated, then a table a person reads: one line per cover, whole cards.
    public func text(policy: String) -> String {
        var heading = "simulated \(traceStart.formatted(.iso8601)) to \(traceEnd.formatted(.iso8601)), busiest hour \(peakHour.formatted()) cards, policy \(policy)"
        for outage in outages {
            heading += "; outage \(outage.start.formatted(.iso8601)) for \(Self.hours(outage.hours)) h"
        }
        let header = ["cover h", "mean inventory", "peak inventory", "pairs issued", "fallbacks", "outside outages", "during outages"]
        let cells = rows.map { row in
            [
                Self.hours(row.coverHours), Int(row.inventoryMean.rounded()).formatted(), row.inventoryPeak.formatted(),
                row.pairsIssued.formatted(), row.fallbacks.formatted(), row.fallbacksOutsideOutages.formatted(),
                row.fallbacksDuringOutages.formatted(),
            ]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { String(repeating: " ", count: $1 - $0.count) + $0 }.joined(separator: "  ")
        }
        return ([heading, line(header)] + cells.map(line)).joined(separator: "\n")
    }

    /// Hours as typed: `4`, not `4.0`.
    private static func hours(_ hours: Double) -> String {
        hours == hours.rounded() && abs(hours) < 1e9 ? String(Int(hours)) : String(hours)
    }
}

extension CoverComparison.Row: Encodable {
    private enum Key: String, CodingKey {
        case coverHours, inventoryMean, inventoryPeak, pairsIssued, fallbacks, fallbacksOutsideOutages, fallbacksDuringOutages
    }

    /// Cards as whole numbers, the mean to four decimals, as `SimulationReport` encodes them.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(coverHours, forKey: .coverHours)
        try container.encode((inventoryMean * 10_000).rounded() / 10_000, forKey: .inventoryMean)
        try container.encode(inventoryPeak, forKey: .inventoryPeak)
        try container.encode(pairsIssued, forKey: .pairsIssued)
        try container.encode(fallbacks, forKey: .fallbacks)
        try container.encode(fallbacksOutsideOutages, forKey: .fallbacksOutsideOutages)
        try container.encode(fallbacksDuringOutages, forKey: .fallbacksDuringOutages)
    }
}
