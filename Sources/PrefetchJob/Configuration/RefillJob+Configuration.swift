public import PoolDatabase
public import TOMEClient

extension RefillJob {
    /// Everything the job needs. Tests build it directly; the executable reads it with `init(environment:)`.
    public struct Configuration: Sendable {
        public var database: DatabaseConfiguration
        public var tome: HTTPTOMEClient.Configuration
        /// The NS1 and NS2 namespaces' names. Default `NS1` and `NS2`.
        public var namespaces: DualNamespaceClient.Configuration
        /// How large the pool is and how a refill fills it: the target, the forecast's settings,
        /// the batches and their concurrency. Defaults: see `SizingSettings`.
        public var sizing: SizingSettings
        /// Where the run's metrics go (CloudWatch Embedded Metric Format). Default `TomePool`, `tome-pool`.
        public var metrics: PoolMetrics.Settings
        /// How long the refill lease lasts without renewal; it is renewed at a third of this. Default 30 s.
        public var leaseTimeToLive: Duration
        /// Time kept in hand before a caller's deadline: no batch starts that would end inside it.
        /// Default: the longest one batch can take with the TOME settings (`derivedDeadlineMargin`).
        public var deadlineMargin: Duration

        public init(
            database: DatabaseConfiguration,
            tome: HTTPTOMEClient.Configuration,
            namespaces: DualNamespaceClient.Configuration = .init(),
            sizing: SizingSettings = .init(),
            metrics: PoolMetrics.Settings = .init(),
            leaseTimeToLive: Duration = .seconds(30),
            deadlineMargin: Duration? = nil
        ) {
            self.database = database
            self.tome = tome
            self.namespaces = namespaces
            self.sizing = sizing
            self.metrics = metrics
            self.leaseTimeToLive = leaseTimeToLive
            self.deadlineMargin = deadlineMargin ?? Self.derivedDeadlineMargin(tome: tome)
        }

        /// The sizing policy these settings describe, with TOME's timeout for the time a refill takes.
        public var sizingPolicy: SizingPolicy {
            SizingPolicy(settings: sizing, requestTimeout: tome.requestTimeout)
        }
    }
}
