public import Hummingbird
public import Logging
public import PoolDatabase
public import PostgresNIO
public import Prometheus
public import TokenPool

/// The card service's HTTP application: cards, detokenize, health and metrics.
public enum CardApplication {
    public struct Configuration: Sendable {
        /// Who may call the `/v1` routes, with which scopes (`CARD_APP_CLIENTS_FILE`, or the one
        /// client `CARD_APP_TOKEN` makes).
        public var clients: ClientRegistry
        /// The largest request body accepted. Default 16 KiB: a card request is tens of bytes.
        public var maxBodyBytes: Int
        /// Where new cards' pairs come from: the pool (approach 2, the default) or straight from
        /// TOME for every card (approach 1), which the benchmarks compare against.
        public var tokenSource: TokenSource
        /// How old the `/metrics` pool level may be before a scrape counts the pool again. Default 15 s.
        public var poolLevelRefresh: Duration
        /// Where audit records go (one JSON line per detokenization and card read). Default: standard output.
        public var auditSink: any LineSink = FileDescriptorSink.standardOutput
        /// Where the access log goes (one JSON line per request), or nil for none. Default: standard error.
        public var accessLog: (any LineSink)? = FileDescriptorSink.standardError
        /// The key of the audit trail's fingerprints (`CARD_APP_AUDIT_KEY`). Default: a key of this
        /// process only, so fingerprints match within its own records alone.
        public var auditFingerprint: AuditFingerprint = .random()
        /// The proxies whose `X-Forwarded-For` names the client (`CARD_APP_TRUSTED_PROXIES`). Default none.
        public var trustedProxies: TrustedProxies = .none
        /// The token a `/metrics` scrape must present as `Authorization: Bearer` (`CARD_APP_METRICS_TOKEN`);
        /// nil leaves `/metrics` open to whoever reaches the port.
        public var metricsToken: String?
        /// How old a readiness answer may be before `/health/ready` checks the database again. Default 2 s.
        public var readinessMaxAge: Duration = .seconds(2)
        /// The database's settings, for a connection of its own when readiness fails, which names
        /// the cause (a refused password) where the pool only times out. Default nil: no probe.
        public var databaseForProbe: DatabaseConfiguration?
        /// Whether a detokenize that misses the database asks TOME (`CARD_APP_DETOKENIZE_FROM_TOME`).
        /// Off, the app resolves only the references it handed out; a miss is 404. Default on.
        public var detokenizeFromTOME = true

        public enum TokenSource: String, Sendable {
            case pool
            case direct
        }

        public init(clients: ClientRegistry, maxBodyBytes: Int = 16 * 1024, tokenSource: TokenSource = .pool, poolLevelRefresh: Duration = .seconds(15)) {
            self.clients = clients
            self.maxBodyBytes = maxBodyBytes
            self.tokenSource = tokenSource
            self.poolLevelRefresh = poolLevelRefresh
        }
    }

    /// Every path the router serves and its methods: what a 405's `Allow` lists. A test checks
    /// it against the router's own routes.
    public static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/v1/cards", [.post]), ("/v1/cards/{cardId}", [.get]), ("/v1/detokenize", [.post]),
        ("/health/live", [.get]), ("/health/ready", [.get]), ("/metrics", [.get]),
    ]

    /// One connection of its own to `settings`: nil when it connects, else the error naming why not.
    private static func probe(_ settings: DatabaseConfiguration, logger: Logger) -> @Sendable () async -> DatabaseError? {
        {
            do throws(DatabaseError) {
                try await DatabaseProbe.check(settings, logger: logger)
                return nil
            } catch {
                return error
            }
        }
    }

    public static func makeRouter(
        configuration: Configuration,
        database: PostgresClient,
        pool: PoolReserver,
        registry: PrometheusCollectorRegistry,
        logger: Logger
    ) -> Router<CardRequestContext> {
        let router = Router(context: CardRequestContext.self)
        if let accessLog = configuration.accessLog {
            router.add(middleware: AccessLogMiddleware(sink: accessLog))
        }
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SourceAddressMiddleware(trustedProxies: configuration.trustedProxies))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MethodNotAllowedMiddleware(routes: routes))
        OperationsRoutes(
            database: database, registry: registry, poolLevel: RecentValue(maxAge: configuration.poolLevelRefresh),
            readiness: RecentValue(maxAge: configuration.readinessMaxAge),
            probe: configuration.databaseForProbe.map { Self.probe($0, logger: logger) },
            metricsTokenHash: configuration.metricsToken.map(ClientSet.sha256), logger: logger
        ).add(to: router)
        let audit = AuditTrail(sink: configuration.auditSink, fingerprint: configuration.auditFingerprint)
        configuration.clients.recordChanges(on: audit)
        let v1 = router.group("v1").add(middleware: ClientAuthMiddleware(registry: configuration.clients, audit: audit))
        let store = CardStore(database: database, pool: pool, direct: configuration.tokenSource == .direct, logger: logger)
        CardRoutes(
            store: store, pool: pool, audit: audit, limiter: RateLimiter(), maxBodyBytes: configuration.maxBodyBytes,
            detokenizeFromTOME: configuration.detokenizeFromTOME
        )
            .add(to: v1)
        return router
    }
}
