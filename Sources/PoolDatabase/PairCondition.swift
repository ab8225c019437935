/// The SQL conditions on a `token_pool` row that decide whether it can be handed out, in one
/// place for the claim, the statistics and the clean-up. Fixed text, never user input: safe to
/// put into a statement with `PostgresQuery(unsafeSQL:)` or string interpolation.
public enum PairCondition {
    /// A pair that can be handed out: it never expires, or not yet.
    public static let available = "(expires_at IS NULL OR expires_at > now())"
    /// A pair past its expiry: never handed out, deleted by the next refill.
    public static let expired = "expires_at <= now()"
}
