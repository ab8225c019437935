import PoolDatabase
import PostgresNIO

/// The statements of the pool-reservation library, in one place.
enum PoolSQL {
    /// The claim: one available pair moved to the assignments, in one statement (one round trip).
    ///
    /// Why this shape:
    /// - The claim starts at a random `claim_key` and takes the next key up (`token_pool_claim_key_idx`).
    ///   Reservers that run at once start at different places, so they rarely want the same row,
    ///   and `SKIP LOCKED` passes over the few that are taken instead of queueing behind them.
    ///   Claimed rows stay behind as dead tuples until vacuum; spread over the whole key range,
    ///   each claim steps over a handful of them rather than over every row claimed since the
    ///   last vacuum, as an `ORDER BY fetched_at` claim would.
    /// - `DELETE … RETURNING` feeding `INSERT INTO token_assignment` moves the pair in one
    ///   statement inside the caller's transaction: the pair is in exactly one table at any
    ///   time, and a rollback puts it back.
    /// - On CockroachDB the same statement works (it supports `FOR UPDATE SKIP LOCKED` in recent
    ///   versions); deleted rows leave MVCC tombstones until garbage collection, which the random
    ///   start spreads the same way, and contention surfaces as 40001, which callers retry.
    static func claimSQL(upward: Bool) -> String {
        """
        WITH claimed AS (
            DELETE FROM token_pool
            WHERE ns1_token = (
                SELECT ns1_token FROM token_pool
                WHERE claim_key \(upward ? ">=" : "<") $2 AND \(PairCondition.available)
                ORDER BY claim_key
                LIMIT 1
                FOR UPDATE SKIP LOCKED)
            RETURNING ns1_token, ns2_token, run_id, batch_no
        )
        INSERT INTO token_assignment (ns2_token, ns1_token, card_id, source, run_id, batch_no)
        SELECT ns2_token, ns1_token, $1, 'pool', run_id, batch_no FROM claimed
        RETURNING ns1_token, ns2_token
        """
    }

    /// The claim as the head of one statement that also writes the caller's row
    /// (`PooledInsert.insertSQL`, which reads the pair from `pooled_pair`).
    ///
    /// Why this shape: data-modifying CTEs run in the statement's one implicit transaction, so
    /// the pair leaves the pool, lands in the assignments and in the caller's row together, or
    /// not at all. The two scalar subqueries are the upward claim and its wrap-around;
    /// `COALESCE` evaluates the second only when the first found nothing, so the wrap costs no
    /// extra round trip either.
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

/// The claim as a prepared statement: parsed and planned once per connection, then only
/// bound and executed, which is what keeps reservation close to the database's own speed.
protocol ClaimStatement: PostgresPreparedStatement where Row == (String, String) {
    var cardId: String { get }
    var startKey: Int64 { get }
}

extension ClaimStatement {
    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(cardId)
        bindings.append(startKey)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> (String, String) {
        try row.decode((String, String).self)
    }
}

/// Claims the first available pair at or above a random key.
struct ClaimUpward: ClaimStatement {
    static let sql = PoolSQL.claimSQL(upward: true)
    var cardId: String
    var startKey: Int64
}

/// Wraps around: the first available pair below the key, when none is above it.
struct ClaimDownward: ClaimStatement {
    static let sql = PoolSQL.claimSQL(upward: false)
    var cardId: String
    var startKey: Int64
}
