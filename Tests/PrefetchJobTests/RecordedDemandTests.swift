import Foundation
import PostgresNIO
import PrefetchJob
import Testing

/// `simulate --from-database`: the pool's recorded assignments read as the forecast reads them,
/// then replayed at several outage covers.
@Suite("Recorded demand")
struct RecordedDemandTests {
    @Test func theRecordedBucketsAreReadWithoutTheEmptyOnesBeforeTheFirstCard() async throws {
        // A first fill of 200, not one that outlasts the three days whatever the cover.
        try await withJob(target: 200, tune: { $0.sizing.historyDays = 7; $0.sizing.mode = .forecast }) { harness in
            let now = Date()
            // Three days of the seven-day window, ending an hour ago.
            let last = Int(now.timeIntervalSince1970) / 300 - 12
            let first = last - 3 * 288 + 1
            try await DailyDemand.record(harness.database, buckets: first...last, prefix: "r", tomeEvery: 9)
            let trace = try await harness.job.recordedDemand(now: now)
            #expect(trace.step == 300)
            #expect(trace.start == first * 300)
            // The recorded buckets, then the last hour's empty ones up to the bucket that holds now.
            let expected = (first...last).map(DailyDemand.cards(inBucket:)) + Array(repeating: 0, count: 12)
            #expect(trace.values == expected)

            // Four hours from noon UTC, a busy time, a day and a half or more into the history.
            let noon = (first * 300 / 86_400 + 2) * 86_400 + 12 * 3_600
            let outage = DemandSimulator.Outage(start: Date(timeIntervalSince1970: Double(noon)), hours: 4)
            let covers = [4.0, 1, 8, 2]
            let comparison = try DemandSimulator(policy: harness.configuration.sizingPolicy).compareCover(trace, coverHours: covers, peakHour: nil, outages: [outage])
            #expect(comparison.rows.map(\.coverHours) == covers)
            #expect(comparison.peakHour == 264)
            for row in comparison.rows {
                #expect(row.fallbacks == row.fallbacksOutsideOutages + row.fallbacksDuringOutages)
            }
            let byCover = comparison.rows.sorted { $0.coverHours < $1.coverHours }
            for (shorter, longer) in zip(byCover, byCover.dropFirst()) {
                #expect(shorter.inventoryMean <= longer.inventoryMean, "\(shorter) against \(longer)")
            }
            // The outage at noon costs the shortest cover cards; the longest rides it out.
            #expect(byCover[0].fallbacksDuringOutages > 0 && byCover[byCover.count - 1].fallbacksDuringOutages == 0, "\(byCover)")
            // The read wrote nothing: no run, no lease.
            #expect(try await harness.runs == 0)
            #expect(try await harness.count("SELECT count(*) FROM refill_lease") == 0)
        }
    }

    @Test func aPoolThatRecordedNothingInTheWindowSaysSo() async throws {
        try await withJob(tune: { $0.sizing.historyDays = 3 }) { harness in
            // A card four days ago is outside the three-day window.
            let old = Date().addingTimeInterval(-4 * 86_400)
            try await harness.database.query(
                "INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, assigned_at) VALUES ('r2-old', 'r1-old', 'rc-old', 'pool', \(old))"
            )
            let error = await #expect(throws: SimulationError.self) { try await harness.job.recordedDemand() }
            #expect(error?.description.contains("recorded no assignments in the last 3 days") == true, "\(String(describing: error))")
        }
    }
}
