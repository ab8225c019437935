import Metrics
public import PostgresNIO

extension PoolReserver {
    /// Claims a pair for `insert.cardId` and writes the service's row with it, in one statement
    /// and so one round trip: PostgreSQL runs it as one transaction, so the pair leaves the
    /// pool, lands in the assignments and in the service's row together, or not at all.
    ///
    /// Returns the rows of the service's `RETURNING`. Empty when nothing was claimed, and then
    /// nothing was written: the pool has no available pair, or `skipClaimWhen` held. The
    /// caller then takes the two-step path, `reserve(cardId:on:)` in a transaction of its own,
    /// which falls back to TOME when the pool is empty.
    ///
    /// Not retried here: a serialization failure or a unique violation surfaces as the
    /// `PSQLError` PostgresNIO raises, with nothing written, so the caller decides. Running it
    /// again after a serialization failure is safe; after a broken connection the statement may
    /// have committed, and only the caller knows whether its row can tell.
    public func insertWithPooledPair<Insert: PooledInsert>(_ insert: Insert) async throws -> [Insert.Row] {
        let statement = PooledInsertStatement(insert: insert, startKey: Self.randomStartKey())
        return try await counted(database.execute(statement, logger: logger))
    }

    /// The same on a connection the caller holds. Outside a transaction block it is its own
    /// transaction, as above; inside one it is a part of the caller's, which commits or rolls
    /// back the pair with everything else.
    public func insertWithPooledPair<Insert: PooledInsert>(_ insert: Insert, on connection: PostgresConnection) async throws -> [Insert.Row] {
        let statement = PooledInsertStatement(insert: insert, startKey: Self.randomStartKey())
        return try await counted(connection.execute(statement, logger: logger))
    }

    private func counted<Rows: AsyncSequence>(_ rows: Rows) async throws -> [Rows.Element] {
        var all: [Rows.Element] = []
        for try await row in rows { all.append(row) }
        if !all.isEmpty {
            Counter(label: "tome_pool.reservations", dimensions: [("source", "pool")]).increment()
        }
        return all
    }
}
