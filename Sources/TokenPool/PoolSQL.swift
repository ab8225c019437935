import PoolDatabase
import PostgresNIO

/// The statements of the pool-reservation library, in one place.
enum PoolSQL {
    /// The claim, the one statement every path takes a pair with: one available pair moved to
    /// the assignments, at the head of a statement that goes on to write the caller's row
    /// (`PooledInsert.insertSQL`, which reads the pair from `pooled_pair`; `PairClaim` only
    /// answers it). One round trip.
    ///
    /// Why this shape:
    /// - The claim starts at a random `claim_key` ($2) and takes the next key up
    ///   (`token_pool_claim_key_idx`). Reservers that run at once start at different places, so
    ///   they rarely want the same row, and `SKIP LOCKED` passes over the few that are taken
    ///   instead of queueing behind them. Claimed rows stay behind as dead tuples until vacuum;
    ///   spread over the whole key range, each claim steps over a handful of them rather than
    ///   over every row claimed since the last vacuum, as an `ORDER BY fetched_at` claim would.
    /// - The two scalar subqueries are the upward claim and its wrap-around below the key;
    ///   `COALESCE` evaluates the second only when the first found nothing, so the wrap costs no
    ///   extra round trip.
    /// - Data-modifying CTEs run in the statement's one transaction (or the caller's): the pair
    ///   leaves the pool, lands in the assignments and in the caller's row together, or not at
    ///   all, and a rollback puts it back. The pair is in exactly one table at any time.
    /// - On CockroachDB the same statement works (it supports `FOR UPDATE SKIP LOCKED` in recent
    ///   versions); deleted rows leave MVCC tombstones until garbage collection, which the random
    ///   start spreads the same way, and contention surfaces as 40001, which callers retry.
    static func claim(into insertSQL: String, skipWhen: String?) -> String {
        let available = "\(PairCondition.available) ORDER BY claim_key LIMIT 1 FOR UPDATE SKIP LOCKED"
        return """
            WITH claimed AS (
                DELETE FROM token_pool
                WHERE ns1_token = COALESCE(
                        (SELECT ns1_token FROM token_pool WHERE claim_key >= $2 AND \(available)),
                        (SELECT ns1_token FROM token_pool WHERE claim_key < $2 AND \(available)))
                    AND NOT (\(skipWhen ?? "false"))
                RETURNING ns1_token, ns2_token, run_id, batch_no
            ),
            pooled_pair AS (
                INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, run_id, batch_no)
                SELECT ns2_token, ns1_token, $1, 'pool', run_id, batch_no FROM claimed
                RETURNING ns1_token, ns2_token
            )
            \(insertSQL)
            """
    }

    static func recordMinted(cardId: String, pair: (ns1: String, ns2: String)) -> PostgresQuery {
        """
        INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source)
        VALUES (\(pair.ns2), \(pair.ns1), \(cardId), 'tome')
        """
    }

    static func lookup(ns2Token: String) -> PostgresQuery {
        "SELECT ns1_token FROM token_assignment WHERE ns2_token = \(ns2Token)"
    }
}
