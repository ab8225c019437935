import ProcessConfiguration
import ArgumentParser
import CardService
import Hummingbird
import Logging
import Metrics
import PoolDatabase
import PostgresNIO
import Prometheus
import ServiceLifecycle
import TOMEClient
import TokenPool

#if canImport(Glibc)
import Glibc
#endif

/// `card-app serve` (the default): the card API, until SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the card API: create cards from the token pool, detokenize references.",
        discussion: "The first line on stdout is the URL it listens on. Settings come from the environment (see the README)."
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8080

    func run() async throws {
        let environment = ProcessEnvironment.all()
        let settings: CardAppSettings
        do {
            settings = try CardAppSettings(environment: environment)
        } catch {
            ProcessEnvironment.writeToStandardError("card-app: \(error)\n")
            throw ExitCode(2)
        }
        let logger = settings.logFormat.logger(label: "card-app", level: settings.logLevel)
        let clients: ClientRegistry
        do {
            clients = try settings.clientRegistry(logger: logger)
        } catch {
            ProcessEnvironment.writeToStandardError("card-app: CARD_APP_CLIENTS_FILE: \(error)\n")
            throw ExitCode(2)
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // Named now, not after the pool's minute of connection retries.
        try await DatabaseProbe.check(settings.database, logger: logger)
        let database = PostgresClient(configuration: try settings.database.makeClientConfiguration(), backgroundLogger: logger)
        let tome = try HTTPTOMEClient(configuration: settings.tome, logger: logger)
        let pool = PoolReserver(database: database, dual: DualNamespaceClient(tome: tome, configuration: settings.namespaces, logger: logger), logger: logger)
        var service = CardApplication.Configuration(clients: clients, tokenSource: settings.tokenSource)
        // One JSON line per request at info level, like the rest of the log.
        service.accessLog = settings.logLevel <= .info ? FileDescriptorSink.standardError : nil
        service.trustedProxies = settings.trustedProxies
        service.detokenizeFromTOME = settings.detokenizeFromTOME
        service.metricsToken = settings.metricsToken
        service.databaseForProbe = settings.database
        if settings.metricsToken == nil {
            logger.warning("CARD_APP_METRICS_TOKEN is not set: /metrics answers whoever reaches the port")
        }
        if let key = settings.auditKey {
            service.auditFingerprint = AuditFingerprint(secret: key)
        } else {
            logger.warning("CARD_APP_AUDIT_KEY is not set: the audit trail's fingerprints use a key of this process only, so records about one reference match only within it")
        }
        let router = CardApplication.makeRouter(configuration: service, database: database, pool: pool, registry: registry, logger: logger)
        let host = host
        let app = Application(
            router: router,
            server: try settings.serverLimits.server(tls: settings.tls),
            configuration: settings.serverLimits.configuration(address: .hostname(host, port: port), serverName: "card-app"),
            onServerRunning: { [scheme = settings.tls == nil ? "http" : "https"] channel in
                print("\(scheme)://\(host):\(channel.localAddress?.port ?? 0)")
                fflush(nil)
            },
            logger: logger
        )
        // SIGTERM stops accepting connections and lets requests in flight finish before the pool
        // closes, for at most CARD_APP_DRAIN_SECONDS; then what is left is cancelled and the
        // process exits, before the platform's own stop timeout kills it.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: database), .init(service: ClientsFileWatcher(registry: clients)),
                .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        groupConfiguration.maximumGracefulShutdownDuration = settings.drain
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            try? await tome.shutdown()
            throw error
        }
        try await tome.shutdown()
    }
}
