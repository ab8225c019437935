/// Everything that decides how many pairs the pool holds and how a refill fetches them: one
/// value, read once from the environment (`SizingSettings+Environment.swift`), that the job, its
/// `status` and the demand simulator all embed, so a simulation runs with what is deployed.
public struct SizingSettings: Sendable, Equatable {
    /// `POOL_SIZING`: `forecast` (default) or `static` (`POOL_TARGET` every run).
    public var mode: SizingPolicy.Mode = .forecast
    /// `POOL_COVER_HOURS`: the TOME outage the pool must carry card creation through. Default 4.
    public var coverHours: Double = 4
    /// `POOL_TARGET_MIN`, `POOL_TARGET_MAX`: the fewest and most pairs to hold. Default 0 and 1,000,000.
    public var targetMin = 0
    public var targetMax = 1_000_000
    /// `POOL_TARGET`: the target with no history, and the static policy's target. Default 10,000.
    public var fixedTarget = 10_000
    /// `POOL_LOW_WATERMARK`: the static policy's low watermark; nil is a quarter of `fixedTarget`.
    public var fixedLowWatermark: Int?
    /// `POOL_HISTORY_DAYS`: how much assignment history the forecast reads. Default 28.
    public var historyDays = 28
    /// How often the scheduled refill runs (the template's `rate(1 hour)`).
    public var refillInterval: Duration = .seconds(3_600)
    /// How often the top-up looks at the pool (the template's `rate(5 minutes)`).
    public var topUpInterval: Duration = .seconds(300)
    /// `REFILL_MAX_PAIRS`: the most pairs one run plans, however large the deficit. Default 100,000.
    public var maxPairsPerRun = 100_000
    /// `TOME_BATCH_SIZE`: pairs per batch (one NS1 issue, one NS2 tokenize, one insert). Default 500.
    public var batchSize = 500
    /// `TOME_CONCURRENCY`: batches in flight at once. Default 8.
    public var concurrency = 8
    /// `POOL_PAIR_TTL_HOURS`: how long a fetched pair stays usable; nil keeps it until used. Default nil.
    public var pairTimeToLive: Duration?

    public init() {}

    /// The demand the target holds beyond the low watermark's cover: three top-up intervals, so a
    /// top-up that fails or finds the lease held leaves the next one time to restock. The target
    /// does not hold the whole hour to the next refill: the top-ups restock every few minutes, and
    /// an hour of demand held on top of the outage cover is stock nobody needs yet.
    public var restockWindow: Duration { topUpInterval * 3 }

    /// The history window the forecast reads.
    public var historyWindow: Duration { .seconds(historyDays * 86_400) }

    /// The longest a refill of `pairs` pairs takes when every TOME call takes `requestTimeout`:
    /// its rounds of `concurrency` batches, each an NS1 issue and then an NS2 tokenize.
    public func refillDuration(pairs: Int, requestTimeout: Duration) -> Duration {
        let batches = (max(0, pairs) + batchSize - 1) / batchSize
        let rounds = (batches + concurrency - 1) / concurrency
        return requestTimeout * (2 * rounds)
    }

    /// Time to the next scheduled refill, `since` seconds after the last one was scheduled to
    /// start: the rest of the interval, or a whole interval when none has run (a local run, or
    /// the schedule just deployed).
    public func untilNextRefill(since: Double?) -> Duration {
        let interval = Double(refillInterval.components.seconds)
        guard let since, interval > 0 else { return refillInterval }
        return .seconds(Int((interval - max(0, since).truncatingRemainder(dividingBy: interval)).rounded(.up)))
    }
}
