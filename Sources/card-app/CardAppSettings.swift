import CardService
import Logging
import PoolDatabase
import ProcessConfiguration
import TOMEClient

/// The card app's settings, read once from the environment; every problem is named at once.
struct CardAppSettings {
    /// Who may call the API: a clients file (scoped clients, rotated without a restart), or one
    /// bearer token with every scope for local runs.
    enum Clients {
        case file(String)
        case token(String)
    }

    var database: DatabaseConfiguration
    var tome: HTTPTOMEClient.Configuration
    var namespaces: DualNamespaceClient.Configuration
    var clients: Clients
    var tokenSource: CardService.Configuration.TokenSource
    var logLevel: Logger.Level
    /// JSON lines (like the access log beside them on standard error) unless a person reads a terminal.
    var logFormat: LogFormat

    init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        var problems: [String] = []
        var database: DatabaseConfiguration?
        if let url = reader.requiredString("DATABASE_URL") {
            do { database = try DatabaseConfiguration(serviceURL: url) } catch { problems.append("DATABASE_URL: \(error)") }
        }
        var clients: Clients?
        switch (reader.optionalString("CARD_APP_CLIENTS_FILE"), reader.optionalString("CARD_APP_TOKEN")) {
        case (let path?, nil):
            clients = .file(path)
        case (nil, let token?) where token.utf8.count < 16:
            reader.problem("CARD_APP_TOKEN must be at least 16 characters")
        case (nil, let token?):
            clients = .token(token)
        case (_?, _?):
            reader.problem("set CARD_APP_CLIENTS_FILE or CARD_APP_TOKEN, not both")
        case (nil, nil):
            reader.problem("CARD_APP_CLIENTS_FILE (scoped clients) or CARD_APP_TOKEN (one token, every scope) is required")
        }
        let maxConnections = reader.integer("DATABASE_MAX_CONNECTIONS", default: 20, in: 1...500)
        let sourceName = reader.string("CARD_TOKEN_SOURCE", default: "pool")
        let tokenSource = CardService.Configuration.TokenSource(rawValue: sourceName)
        if tokenSource == nil { reader.problem("CARD_TOKEN_SOURCE must be pool or direct") }
        let internalNamespace = reader.string("TOME_NS1", default: "NS1")
        let externalNamespace = reader.string("TOME_NS2", default: "NS2")
        let logLevel = reader.logLevel("LOG_LEVEL")
        let logFormat = reader.logFormat("LOG_FORMAT")
        problems += reader.problems
        var tome: HTTPTOMEClient.Configuration?
        do { tome = try HTTPTOMEClient.Configuration(environment: environment) } catch { problems += error.problems }
        guard problems.isEmpty, var database, let tome, let clients, let tokenSource else { throw ConfigurationError(problems: problems) }
        database.maxConnections = maxConnections
        self.database = database
        self.tome = tome
        self.namespaces = .init(internalNamespace: internalNamespace, externalNamespace: externalNamespace)
        self.clients = clients
        self.tokenSource = tokenSource
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// The clients in force at start-up; a clients file that is refused stops the start.
    func clientRegistry(logger: Logger) throws(ClientsFileError) -> ClientRegistry {
        switch clients {
        case .file(let path): try ClientRegistry(path: path, logger: logger)
        case .token(let token): ClientRegistry(token: token, logger: logger)
        }
    }
}
