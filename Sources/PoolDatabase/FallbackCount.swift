/// The count of cards whose pair came straight from TOME (the pool was empty) within a recent
/// interval, as one SQL subquery: the status report, the top-up's metrics and their alarm read
/// the same rows the same way.
public enum FallbackCount {
    /// The window each top-up reports, every 5 minutes, so that the windows follow one another.
    public static let lastFiveMinutes = subquery(within: "5 minutes")
    public static let lastHour = subquery(within: "1 hour")
    public static let lastDay = subquery(within: "24 hours")

    private static func subquery(within interval: String) -> String {
        "(SELECT count(*) FROM token_assignment WHERE source = 'tome' AND assigned_at > now() - INTERVAL '\(interval)')"
    }
}
