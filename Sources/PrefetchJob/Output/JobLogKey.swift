/// Logger metadata keys of the prefetch job, in one place.
public enum JobLogKey {
    // The key AWS uses in its own JSON log lines, so one query finds both.
    public static let requestId = "requestId"
    public static let runId = "tome_pool.run_id"
    public static let batch = "tome_pool.batch"
    public static let pairsInserted = "tome_pool.pairs_inserted"
    public static let trigger = "tome_pool.trigger"
    public static let status = "tome_pool.status"
    public static let error = "error"
}
