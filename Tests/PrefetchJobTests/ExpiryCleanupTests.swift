import Logging
import PoolDatabase
import PostgresNIO
import PrefetchJob
import Synchronization
import Testing
import TestSupport
import TOMEClient
import TokenPool

/// Refills delete expired pairs in short batches, beside reservations that never wait for them.
@Suite("Expired pairs")
struct ExpiryCleanupTests {
    @Test func aRefillRemovesExpiredPairsWhileReservationsRunWithoutWaitingOrGettingOne() async throws {
        try await withJob(target: 2_000, batchSize: 500) { harness in
            #expect(try await harness.refill().pairsInserted == 2_000)
            try await harness.database.query(
                """
                INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no, expires_at)
                SELECT 'expired-ns1-' || g, 'expired-ns2-' || g, 'old-run', 0, now() - INTERVAL '1 hour'
                FROM generate_series(1, 100000) AS g
                """
            )
            let before = try await harness.job.status()
            #expect(before.pool.available == 2_000)
            #expect(before.pool.expired == 100_000)

            try await HTTPTOMEClient.withClient(configuration: harness.configuration.tome) { tome in
            let pool = PoolReserver(database: harness.database, dual: DualNamespaceClient(tome: tome, logger: quietLogger), logger: quietLogger)
            let reservers = ReserverPids()
            let tally = Tally()
            let (summary, reserved, lockWaits) = try await withThrowingTaskGroup(of: Void.self) { group in
                for reserver in 0..<4 {
                    group.addTask {
                        var index = 0
                        while !tally.cleanupDone.load(ordering: .acquiring) {
                            index += 1
                            let cardId = "card-\(reserver)-\(index)"
                            try await withDatabaseRetry(operation: "reserve", logger: quietLogger) {
                                try await harness.database.withTransaction(logger: quietLogger) { connection in
                                    for try await pid in try await connection.query("SELECT pg_backend_pid()", logger: quietLogger).decode(Int32.self) {
                                        reservers.add(pid)
                                    }
                                    _ = try await pool.reserve(cardId: cardId, on: connection)
                                }
                            }
                            tally.reserved.add(1, ordering: .relaxed)
                        }
                    }
                }
                // Samples whether any reserver waits on a lock while the clean-up runs.
                group.addTask {
                    while !tally.cleanupDone.load(ordering: .acquiring) {
                        let pids = reservers.all
                        let rows = try await harness.database.query(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid = ANY(\(pids))"
                        )
                        for try await count in rows.decode(Int.self) { tally.lockWaits.add(count, ordering: .relaxed) }
                        try await Task.sleep(for: .milliseconds(5))
                    }
                }
                // Set however the refill ends, so the reservers and the sampler stop.
                defer { tally.cleanupDone.store(true, ordering: .releasing) }
                let summary = try await harness.refill(RefillRequest(idempotencyKey: "cleanup-run"))
                tally.cleanupDone.store(true, ordering: .releasing)
                try await group.waitForAll()
                return (summary, tally.reserved.load(ordering: .relaxed), tally.lockWaits.load(ordering: .relaxed))
            }

            #expect(summary.expiredRemoved == 100_000)
            #expect(reserved > 0, "reservations kept going during the clean-up")
            #expect(lockWaits == 0, "reservations waited on a lock \(lockWaits) times")
            #expect(try await harness.count("SELECT count(*) FROM token_assignment WHERE ns1_token LIKE 'expired-%'") == 0)
            #expect(try await harness.count("SELECT count(*) FROM token_pool WHERE expires_at <= now()") == 0)
            let after = try await harness.job.status()
            #expect(after.pool.expired == 0)
            #expect(after.lastRuns.first?.expiredRemoved == 100_000)
            #expect(after.text().contains("100000 expired removed"))
            }
        }
    }
}

/// What the reservers and the lock sampler counted while the clean-up ran.
private final class Tally: Sendable {
    let cleanupDone = Atomic<Bool>(false)
    let reserved = Atomic<Int>(0)
    let lockWaits = Atomic<Int>(0)
}

/// The backends that reservations ran on.
private final class ReserverPids: Sendable {
    private let pids = Mutex<Set<Int32>>([])
    func add(_ pid: Int32) { pids.withLock { _ = $0.insert(pid) } }
    var all: [Int32] { pids.withLock { Array($0) } }
}
