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

/// `card-app`: creates cards from the token pool; stateless, everything in PostgreSQL.
@main
struct CardAppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card-app",
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
        var logger = Logger(label: "card-app")
        logger.logLevel = settings.logLevel
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        // Named now, not after the pool's minute of connection retries.
        try await DatabaseProbe.check(settings.database, logger: logger)
        let database = PostgresClient(configuration: try settings.database.makeClientConfiguration(), backgroundLogger: logger)
        let tome = try HTTPTOMEClient(configuration: settings.tome, logger: logger)
        let pool = TokenPool(database: database, dual: DualNamespaceClient(tome: tome, configuration: settings.namespaces, logger: logger), logger: logger)
        let router = CardService.makeRouter(configuration: settings.service, database: database, pool: pool, registry: registry, logger: logger)
        let host = host
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "card-app"),
            onServerRunning: { channel in
                print("http://\(host):\(channel.localAddress?.port ?? 0)")
                fflush(nil)
            },
            logger: logger
        )
        // SIGTERM stops accepting connections and lets requests in flight finish before the pool closes.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: database), .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            try? await tome.shutdown()
            throw error
        }
        try await tome.shutdown()
    }
}

/// The card app's settings, read once from the environment; every problem is named at once.
struct CardAppSettings {
    var database: DatabaseConfiguration
    var tome: HTTPTOMEClient.Configuration
    var namespaces: DualNamespaceClient.Configuration
    var service: CardService.Configuration
    var logLevel: Logger.Level

    init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        var problems: [String] = []
        var database: DatabaseConfiguration?
        if let url = reader.requiredString("DATABASE_URL") {
            do { database = try DatabaseConfiguration(url: url) } catch { problems.append("DATABASE_URL: \(error)") }
        }
        let token = reader.requiredString("CARD_APP_TOKEN")
        if let token, token.utf8.count < 16 {
            reader.problem("CARD_APP_TOKEN must be at least 16 characters")
        }
        let maxConnections = reader.integer("DATABASE_MAX_CONNECTIONS", default: 20, in: 1...500)
        let sourceName = reader.string("CARD_TOKEN_SOURCE", default: "pool")
        let tokenSource = CardService.Configuration.TokenSource(rawValue: sourceName)
        if tokenSource == nil { reader.problem("CARD_TOKEN_SOURCE must be pool or direct") }
        let internalNamespace = reader.string("TOME_NS1", default: "NS1")
        let externalNamespace = reader.string("TOME_NS2", default: "NS2")
        let logLevel = reader.logLevel("LOG_LEVEL")
        problems += reader.problems
        var tome: HTTPTOMEClient.Configuration?
        do { tome = try HTTPTOMEClient.Configuration(environment: environment) } catch { problems += error.problems }
        guard problems.isEmpty, var database, let tome, let token else { throw ConfigurationError(problems: problems) }
        database.maxConnections = maxConnections
        self.database = database
        self.tome = tome
        self.namespaces = .init(internalNamespace: internalNamespace, externalNamespace: externalNamespace)
        self.service = .init(authToken: token, tokenSource: tokenSource ?? .pool)
        self.logLevel = logLevel
    }
}


