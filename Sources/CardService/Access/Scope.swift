/// What a client may do. Each `/v1` route needs exactly one.
public enum Scope: String, Sendable, CaseIterable, Codable, Comparable {
    /// `POST /v1/cards`.
    case cardsCreate = "cards:create"
    /// `GET /v1/cards/{cardId}` for the cards this client created.
    case cardsRead = "cards:read"
    /// `GET /v1/cards/{cardId}` for any card, other clients' and those of unknown owner (made
    /// before cards recorded their client) included: for support tools, not for card creators.
    case cardsReadAny = "cards:read-any"
    /// `POST /v1/detokenize`: turns a public NS2 reference into the internal NS1 token.
    case tokensDetokenize = "tokens:detokenize"

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rawValue < rhs.rawValue }
}
