import PoolDatabase
import PostgresNIO

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Every statement of the refill job, in one place, so that on-call and reviewers can read
/// what the job does to the database without reading the job.
enum RefillSQL {
    static let leaseName = "refill"

    /// The columns a `RunRecord` is read from (`RunRecord(row:)`), in its order.
    static let runColumns = """
        run_id, idempotency_key, trigger, reason, status, target, pool_before, deficit,
        planned_pairs, batch_size, batches_planned, result
        """

    static func findRun(key: String) -> PostgresQuery {
        "SELECT \(unescaped: runColumns) FROM refill_run WHERE idempotency_key = \(key)"
    }

    /// Runs whose plan may be unfinished: anything not marked succeeded, oldest first.
    static let unfinishedRuns: PostgresQuery = """
        SELECT \(unescaped: runColumns)
        FROM refill_run WHERE status <> 'succeeded' AND batches_planned > 0
        ORDER BY started_at
        """

    /// Pairs that unfinished runs planned and have not committed: planned minus what their
    /// committed batches asked for.
    static let pendingPairs: PostgresQuery = """
        SELECT COALESCE(sum(r.planned_pairs - COALESCE(b.requested, 0)), 0)::BIGINT
        FROM refill_run r
        LEFT JOIN (SELECT run_id, sum(pairs_requested) AS requested FROM refill_batch GROUP BY run_id) b USING (run_id)
        WHERE r.status <> 'succeeded' AND r.batches_planned > 0
        """

    /// The newest finished run's stored result (its sizing decision), when the last scheduled
    /// refill started, and whether a run with `key` exists: what a top-up needs, in one statement.
    static func latestSizing(key: String) -> PostgresQuery {
        """
        SELECT latest.run_id, latest.result,
               (SELECT max(started_at) FROM refill_run WHERE trigger = 'scheduled'),
               EXISTS (SELECT 1 FROM refill_run WHERE idempotency_key = \(key))
        FROM (SELECT 1) AS one
        LEFT JOIN LATERAL (
            SELECT run_id, result FROM refill_run
            WHERE status IN ('succeeded', 'partial') AND result IS NOT NULL
            ORDER BY started_at DESC LIMIT 1
        ) AS latest ON true
        """
    }

    /// Available pairs, and cards assigned (from the pool or TOME) since `since` and since
    /// `recentSince`, and fallbacks in the last hour (for the metric): a top-up's level check.
    /// Index range scans over at most two refill intervals.
    static func levelAndDemand(since: Date, recentSince: Date) -> PostgresQuery {
        """
        SELECT (SELECT count(*) FROM token_pool WHERE \(unescaped: PairCondition.available)),
               (SELECT count(*) FROM token_assignment WHERE assigned_at >= \(since)),
               (SELECT count(*) FROM token_assignment WHERE assigned_at >= \(recentSince)),
               \(unescaped: FallbackCount.lastFiveMinutes),
               \(unescaped: FallbackCount.lastHour)
        """
    }

    static func committedBatchNumbers(runId: String) -> PostgresQuery {
        "SELECT batch_no FROM refill_batch WHERE run_id = \(runId)"
    }

    static func insertRun(_ run: RunRecord) -> PostgresQuery {
        """
        INSERT INTO refill_run (run_id, idempotency_key, trigger, reason, status, target, pool_before,
                                deficit, planned_pairs, batch_size, batches_planned)
        VALUES (\(run.runId), \(run.idempotencyKey), \(run.trigger.rawValue), \(run.reason), 'running', \(run.target),
                \(run.poolBefore), \(run.deficit), \(run.plannedPairs), \(run.batchSize), \(run.batchesPlanned))
        ON CONFLICT (run_id) DO NOTHING
        """
    }

    /// One batch, exactly once, in one statement (so in one transaction, with one round trip):
    /// the pairs go in only if the batch row does not exist yet, and the batch row goes in with
    /// the count of pairs that went in. A pair already assigned to a card is never put back.
    /// Returns no row when the batch had been committed before.
    static func commitBatch(
        runId: String, batchNo: Int, requestId: String, ns1Tokens: [String], ns2Tokens: [String],
        timeToLiveSeconds: Int?
    ) -> PostgresQuery {
        """
        WITH pending AS (
            SELECT 1 AS one WHERE NOT EXISTS (
                SELECT 1 FROM refill_batch WHERE run_id = \(runId) AND batch_no = \(batchNo))
        ), inserted AS (
            INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no, fetched_at, expires_at)
            SELECT p.ns1, p.ns2, \(runId), \(batchNo), now(),
                   now() + (\(timeToLiveSeconds)::INT * INTERVAL '1 second')
            FROM pending, UNNEST(\(ns1Tokens)::TEXT[], \(ns2Tokens)::TEXT[]) AS p (ns1, ns2)
            WHERE NOT EXISTS (SELECT 1 FROM token_assignment a WHERE a.ns1_token = p.ns1)
              AND NOT EXISTS (SELECT 1 FROM token_assignment a WHERE a.ns2_token = p.ns2)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        INSERT INTO refill_batch (run_id, batch_no, request_id, pairs_requested, pairs_inserted)
        SELECT \(runId), \(batchNo), \(requestId), \(ns1Tokens.count), (SELECT count(*) FROM inserted)
        FROM pending
        ON CONFLICT DO NOTHING
        RETURNING pairs_inserted
        """
    }

    /// What a run's batches achieved, from the batch rows: the truth even after a crash.
    static func runTotals(runId: String) -> PostgresQuery {
        """
        SELECT count(*), COALESCE(sum(pairs_inserted), 0), COALESCE(sum(pairs_requested), 0)
        FROM refill_batch WHERE run_id = \(runId)
        """
    }

    static func finishRun(runId: String, status: RunStatus, poolAfter: Int, error: String?, result: String) -> PostgresQuery {
        """
        UPDATE refill_run SET status = \(status.rawValue), pool_after = \(poolAfter), error = \(error),
               result = \(result), finished_at = now()
        WHERE run_id = \(runId)
        """
    }

    /// Deletes up to `limit` expired pairs, oldest expiry first, in one short statement of its own.
    /// `SKIP LOCKED` passes over a row a reservation has locked, so neither waits for the other;
    /// reservations never lock an expired pair (their claim skips them), so nothing is missed for long.
    static func deleteExpired(limit: Int) -> PostgresQuery {
        """
        WITH removed AS (
            DELETE FROM token_pool
            WHERE ns1_token IN (
                SELECT ns1_token FROM token_pool
                WHERE \(unescaped: PairCondition.expired)
                ORDER BY expires_at
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING 1)
        SELECT count(*) FROM removed
        """
    }

    /// Read by `RunOverview(row:)`, in its order.
    static func recentRuns(limit: Int) -> PostgresQuery {
        """
        SELECT run_id, trigger, status, started_at, finished_at, target, planned_pairs, batches_planned,
               (SELECT count(*) FROM refill_batch b WHERE b.run_id = r.run_id),
               (SELECT COALESCE(sum(pairs_inserted), 0) FROM refill_batch b WHERE b.run_id = r.run_id),
               error, reason, result
        FROM refill_run r ORDER BY started_at DESC LIMIT \(limit)
        """
    }

    /// Takes the lease when it is free, expired, or already ours. Returns a row only on success.
    static func acquireLease(holder: String, runId: String?, ttlMilliseconds: Int) -> PostgresQuery {
        """
        INSERT INTO refill_lease (name, holder, run_id, acquired_at, expires_at)
        VALUES (\(leaseName), \(holder), \(runId), now(), now() + (\(ttlMilliseconds)::INT * INTERVAL '1 millisecond'))
        ON CONFLICT (name) DO UPDATE
            SET holder = excluded.holder, run_id = excluded.run_id,
                acquired_at = excluded.acquired_at, expires_at = excluded.expires_at
            WHERE refill_lease.expires_at < now() OR refill_lease.holder = excluded.holder
        RETURNING holder
        """
    }

    /// Extends our lease; returns no row when it is no longer ours.
    static func renewLease(holder: String, ttlMilliseconds: Int) -> PostgresQuery {
        """
        UPDATE refill_lease SET expires_at = now() + (\(ttlMilliseconds)::INT * INTERVAL '1 millisecond')
        WHERE name = \(leaseName) AND holder = \(holder)
        RETURNING holder
        """
    }

    static func releaseLease(holder: String) -> PostgresQuery {
        "DELETE FROM refill_lease WHERE name = \(leaseName) AND holder = \(holder)"
    }

    static let leaseHolder: PostgresQuery = """
        SELECT holder, run_id, EXTRACT(EPOCH FROM (expires_at - now()))::FLOAT8
        FROM refill_lease WHERE name = 'refill' AND expires_at >= now()
        """

    static func samplePooledPairs(limit: Int) -> PostgresQuery {
        "SELECT ns1_token, ns2_token FROM token_pool ORDER BY random() LIMIT \(limit)"
    }

    static func sampleAssignedPairs(limit: Int) -> PostgresQuery {
        "SELECT ns1_token, ns2_token FROM token_assignment ORDER BY random() LIMIT \(limit)"
    }
}
