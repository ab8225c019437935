import PostgresNIO
import TOMEClient
import TokenPool

/// The reservation alone as one statement: the claim and the assignment, answering the pair.
/// What `reserve --shape statement` runs, and what pgbench replays beside it.
struct ClaimOnly: PooledInsert {
    static let insertSQL = "SELECT ns1_token, ns2_token FROM pooled_pair"

    let cardId: String

    func appendBindings(to bindings: inout PostgresBindings) throws {}

    func decodeRow(_ row: PostgresRow) throws -> TokenPair {
        let (ns1, ns2) = try row.decode((String, String).self)
        return TokenPair(ns1Token: ns1, ns2Token: ns2)
    }
}
