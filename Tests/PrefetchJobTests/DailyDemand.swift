import Foundation
import PostgresNIO

/// The daily demand the sizing tests record and replay: 2 cards a 5-minute bucket at night, up to
/// 22 at 15:00 UTC. One shape, in Swift for what a test expects and in SQL for what it records.
enum DailyDemand {
    /// Cards in 5-minute bucket `bucket` (since 1970).
    static func cards(inBucket bucket: Int) -> Double {
        let hour = Double(bucket % 288) / 12
        let daylight: Double = max(0, sin(Double.pi * (hour - 6) / 18))
        return (2 + 20 * daylight).rounded()
    }

    /// Records `cards(inBucket:)` assignments in each of `buckets`, spread evenly within each, every
    /// `tomeEvery`-th one a fallback to TOME; ids start with `prefix`, so sets recorded together stay apart.
    static func record(_ database: PostgresClient, buckets: ClosedRange<Int>, prefix: String, tomeEvery: Int) async throws {
        try await database.query(
            """
            INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, assigned_at)
            SELECT \(prefix) || '2-' || b || '-' || i, \(prefix) || '1-' || b || '-' || i, \(prefix) || 'c-' || b || '-' || i,
                   CASE WHEN i % \(tomeEvery) = 0 THEN 'tome' ELSE 'pool' END,
                   to_timestamp(b * 300 + i * 300.0 / (n + 1))
            FROM (SELECT b, round(2 + 20 * greatest(0, sin(pi() * ((b % 288) / 12.0 - 6) / 18)))::INT AS n
                  FROM generate_series(\(buckets.lowerBound)::BIGINT, \(buckets.upperBound)::BIGINT) AS b) AS buckets,
                 generate_series(1, n) AS i
            """
        )
    }
}
