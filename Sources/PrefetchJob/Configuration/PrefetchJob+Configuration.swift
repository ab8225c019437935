public import PoolDatabase
public import TOMEClient

extension PrefetchJob {
    /// Everything the job needs. Tests build it directly; the executable reads it with `init(environment:)`.
    public struct Configuration: Sendable {
        public var database: DatabaseConfiguration
        public var tome: HTTPTOMEClient.Configuration
        /// The internal and external namespaces. Default `NS1` and `NS2`.
        public var namespaces: DualNamespaceClient.Configuration
        /// Available pairs a refill aims for. Default 10,000.
        public var poolTarget: Int
        /// Under the static policy, below this many available pairs the pool is low (a top-up
        /// refills, the low-pool alarm counts). Default nil: a quarter of `poolTarget`.
        public var poolLowWatermark: Int?
        /// How the target follows demand (`POOL_SIZING` and its settings). Default: the forecast.
        public var sizing: SizingSettings
        /// Where the run's metrics go (CloudWatch Embedded Metric Format). Default `TomePool`, `tome-pool`.
        public var metrics: PoolMetrics.Settings
        /// The most pairs one run plans, however large the deficit. Default 100,000.
        public var maxPairsPerRun: Int
        /// Pairs per batch: one NS1 issue, one NS2 tokenize and one insert. Default 500.
        public var batchSize: Int
        /// Batches in flight at once. Default 8.
        public var concurrency: Int
        /// How long a fetched pair stays usable; nil keeps it until used. Default nil.
        public var pairTimeToLive: Duration?
        /// How long the refill lease lasts without renewal; it is renewed at a third of this. Default 30 s.
        public var leaseTimeToLive: Duration
        /// Time kept in hand before a caller's deadline: no batch starts that would end inside it.
        /// Default: the longest one batch can take with the TOME settings (`derivedDeadlineMargin`).
        public var deadlineMargin: Duration

        public init(
            database: DatabaseConfiguration,
            tome: HTTPTOMEClient.Configuration,
            namespaces: DualNamespaceClient.Configuration = .init(),
            poolTarget: Int = 10_000,
            poolLowWatermark: Int? = nil,
            sizing: SizingSettings = .init(),
            metrics: PoolMetrics.Settings = .init(),
            maxPairsPerRun: Int = 100_000,
            batchSize: Int = 500,
            concurrency: Int = 8,
            pairTimeToLive: Duration? = nil,
            leaseTimeToLive: Duration = .seconds(30),
            deadlineMargin: Duration? = nil
        ) {
            self.database = database
            self.tome = tome
            self.namespaces = namespaces
            self.poolTarget = poolTarget
            self.poolLowWatermark = poolLowWatermark
            self.sizing = sizing
            self.metrics = metrics
            self.maxPairsPerRun = maxPairsPerRun
            self.batchSize = batchSize
            self.concurrency = concurrency
            self.pairTimeToLive = pairTimeToLive
            self.leaseTimeToLive = leaseTimeToLive
            self.deadlineMargin = deadlineMargin ?? Self.derivedDeadlineMargin(tome: tome)
        }

        /// The sizing policy these settings describe, with a refill's duration as TOME's settings imply.
        public var sizingPolicy: SizingPolicy {
            sizing.policy(poolTarget: poolTarget, lowWatermark: poolLowWatermark, refillDuration: refillDuration(pairs: maxPairsPerRun))
        }

        /// The longest a refill of `pairs` pairs takes: its rounds of `concurrency` batches, each
        /// an NS1 issue and an NS2 tokenize that may each take up to TOME's request timeout.
        public func refillDuration(pairs: Int) -> Duration {
            Self.refillDuration(pairs: pairs, batchSize: batchSize, concurrency: concurrency, requestTimeout: tome.requestTimeout)
        }

        static func refillDuration(pairs: Int, batchSize: Int, concurrency: Int, requestTimeout: Duration) -> Duration {
            let batches = (max(0, pairs) + batchSize - 1) / batchSize
            let rounds = (batches + concurrency - 1) / concurrency
            return requestTimeout * (2 * rounds)
        }
    }
}
