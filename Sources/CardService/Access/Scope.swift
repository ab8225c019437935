/// What a client may do. Each `/v1` route needs exactly one.
public enum Scope: String, Sendable, CaseIterable, Codable, Comparable {
    /// `POST /v1/cards`.
    case cardsCreate = "cards:create"
    /// `GET /v1/cards/{cardId}`.
    case cardsRead = "cards:read"
    /// `POST /v1/detokenize`: turns a public NS2 reference into the internal NS1 token.
    case tokensDetokenize = "tokens:detokenize"

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}
