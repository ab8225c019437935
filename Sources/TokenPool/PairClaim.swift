public import PostgresNIO
public import TOMEClient

/// The claim with no row of the caller's: the pair moves to the assignments and is answered.
/// What `PoolReserver.reserve(cardId:on:)` runs inside the caller's transaction, and the benchmark's
/// one-statement reservation; the same statement as every other claim (`PoolSQL.claim`).
public struct PairClaim: PooledInsert {
    public static let insertSQL = "SELECT ns1_token, ns2_token FROM pooled_pair"

    public let cardId: String

    public init(cardId: String) {
        self.cardId = cardId
    }

    public func appendBindings(to bindings: inout PostgresBindings) throws {}

    public func decodeRow(_ row: PostgresRow) throws -> TokenPair {
        let (ns1, ns2) = try row.decode((String, String).self)
        return TokenPair(ns1Token: ns1, ns2Token: ns2)
    }
}
