public import PostgresNIO
import Synchronization

/// A service's own row for a new card, written by the same statement that claims the card's
/// pair: one round trip per card, where `reserve(cardId:on:)` in a transaction of the caller's
/// costs four (BEGIN, the claim, the row, COMMIT).
///
/// It fits a row made of the pair and of values known before the statement runs (the card id,
/// the request's fields). A service that must read or write more in the card's transaction
/// calls `PoolReserver.reserve(cardId:on:)` inside a transaction of its own instead.
///
/// The rules the statement relies on:
/// - `insertSQL` writes exactly one row per claimed pair. A row that cannot be written must
///   raise (a unique violation, a check), never be skipped: `ON CONFLICT DO NOTHING` would
///   leave the pair consumed with no row. A raised error undoes the claim with it, because
///   PostgreSQL runs the whole statement as one transaction.
/// - The statement runs outside any transaction block, on a connection of the client's pool.
public protocol PooledInsert: Sendable {
    associatedtype Row: Sendable

    /// The service's statement, appended to the claim's `WITH`: typically
    /// `INSERT INTO … SELECT …, ns1_token, ns2_token FROM pooled_pair RETURNING …`.
    /// `pooled_pair (ns1_token, ns2_token)` holds the claimed pair, or no row when nothing was
    /// claimed. `$1` is the card id and `$2` belongs to the claim; the service's own
    /// parameters start at `$3`. Fixed text, never built from input.
    static var insertSQL: String { get }

    /// A condition (SQL, may use the service's parameters) under which no pair is claimed and
    /// nothing is written, e.g. "this Idempotency-Key already has a card". Nil: always claim.
    static var skipClaimWhen: String? { get }

    /// The card the pair goes to (`token_assignment.card_id`, bound as `$1`).
    var cardId: String { get }

    /// Appends the service's parameters, `$3` onwards.
    func appendBindings(to bindings: inout PostgresBindings) throws

    /// Decodes one row of `insertSQL`'s `RETURNING`.
    func decodeRow(_ row: PostgresRow) throws -> Row
}

extension PooledInsert {
    public static var skipClaimWhen: String? { nil }

    /// The whole statement as it is prepared: the claim, then `insertSQL`. For `EXPLAIN`, and
    /// for replaying the very same statement elsewhere (the benchmark's pgbench baseline).
    public static var statement: String {
        PoolSQL.claim(into: insertSQL, skipWhen: skipClaimWhen)
    }
}

/// The claim (`PoolSQL.claim`) and the service's row as one prepared statement: parsed once per connection.
struct PooledInsertStatement<Insert: PooledInsert>: PostgresPreparedStatement {
    typealias Row = Insert.Row

    static var sql: String { text.sql }
    static var name: String { text.name }

    /// PostgresNIO asks for the name and the text on every execution; the defaults would build
    /// both each time (the name from the type by reflection, the text from the claim's parts),
    /// which showed in card-app's profile. Built once per service type instead.
    private static var text: (name: String, sql: String) {
        statementTexts.withLock { texts in
            if let text = texts[ObjectIdentifier(Insert.self)] { return text }
            let text = (name: String(reflecting: Self.self), sql: PoolSQL.claim(into: Insert.insertSQL, skipWhen: Insert.skipClaimWhen))
            texts[ObjectIdentifier(Insert.self)] = text
            return text
        }
    }

    let insert: Insert
    let startKey: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 5)
        bindings.append(insert.cardId)
        bindings.append(startKey)
        try insert.appendBindings(to: &bindings)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        try insert.decodeRow(row)
    }
}

/// The statement's name and text per service type, for `PooledInsertStatement`.
private let statementTexts = Mutex<[ObjectIdentifier: (name: String, sql: String)]>([:])
