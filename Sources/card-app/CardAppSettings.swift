import CardService
import Logging
import PoolDatabase
import ProcessConfiguration
import TOMEClient

/// The card app's settings, read once from the environment; every problem is named at once.
struct CardAppSettings {
    /// Who may call the API: a clients file (scoped clients, rotated without a restart), the same
    /// document in an environment value (as ECS injects a secret; rotated by a new deployment), or
    /// one bearer token with every scope for local runs.
    enum Clients {
        case file(String)
        case document(String)
        case token(String)
    }

    var database: DatabaseConfiguration
    var tome: HTTPTOMEClient.Configuration
    var namespaces: DualNamespaceClient.Configuration
    var clients: Clients
    var tokenSource: CardApplication.Configuration.TokenSource
    /// `CARD_APP_AUDIT_KEY`: the secret of the audit trail's fingerprints; nil, a key per process.
    var auditKey: [UInt8]?
    /// `CARD_APP_TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client.
    var trustedProxies: TrustedProxies
    /// `CARD_APP_DETOKENIZE_FROM_TOME`: whether a detokenize that misses the database asks TOME.
    var detokenizeFromTOME: Bool
    /// Idle and read timeouts, and the most connections at once.
    var serverLimits: ServerLimits
    /// `CARD_APP_METRICS_TOKEN`: what a `/metrics` scrape must present.
    var metricsToken: String?
    /// HTTPS on card-app itself: `CARD_APP_TLS_CERT_FILE` and `CARD_APP_TLS_KEY_FILE`, or the PEM
    /// text in `CARD_APP_TLS_CERT` and `CARD_APP_TLS_KEY` (as ECS injects secrets); nil: HTTP.
    var tls: ServerTLS?
    /// `CARD_APP_DRAIN_SECONDS`: after SIGTERM, how long requests in flight may finish before
    /// they are cancelled and the process exits; under Fargate's 120 s stop timeout.
    var drain: Duration
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
        let sources: [(name: String, value: String)] = ["CARD_APP_CLIENTS_FILE", "CARD_APP_CLIENTS", "CARD_APP_TOKEN"].compactMap { name in
            reader.optionalString(name).map { (name, $0) }
        }
        switch sources.first {
        case _ where sources.count > 1:
            reader.problem("set one of CARD_APP_CLIENTS_FILE, CARD_APP_CLIENTS and CARD_APP_TOKEN, not \(sources.map(\.name).joined(separator: " and "))")
        case ("CARD_APP_CLIENTS_FILE", let path)?:
            clients = .file(path)
        case ("CARD_APP_CLIENTS", let document)?:
            clients = .document(document)
        case ("CARD_APP_TOKEN", let token)? where token.utf8.count < 16:
            reader.problem("CARD_APP_TOKEN must be at least 16 characters")
        case (_, let token)?:
            clients = .token(token)
        case nil:
            reader.problem(
                "CARD_APP_CLIENTS_FILE (scoped clients), CARD_APP_CLIENTS (the same document as a value) or CARD_APP_TOKEN (one token, every scope) is required"
            )
        }
        let auditKey = reader.optionalString("CARD_APP_AUDIT_KEY").map { Array($0.utf8) }
        if let auditKey, auditKey.count < 32 {
            reader.problem("CARD_APP_AUDIT_KEY must be at least 32 bytes (a random secret of the deployment, e.g. `openssl rand -hex 32`)")
        }
        var trustedProxies = TrustedProxies.none
        switch TrustedProxies.parse(reader.optionalString("CARD_APP_TRUSTED_PROXIES") ?? "") {
        case .success(let parsed): trustedProxies = parsed
        case .failure(let error): reader.problem("CARD_APP_TRUSTED_PROXIES: \(error.problems.joined(separator: "; "))")
        }
        let fromTOME = reader.string("CARD_APP_DETOKENIZE_FROM_TOME", default: "true")
        if fromTOME != "true" && fromTOME != "false" { reader.problem("CARD_APP_DETOKENIZE_FROM_TOME must be true or false") }
        let serverLimits = ServerLimits(
            idleTimeout: .seconds(reader.integer("CARD_APP_IDLE_TIMEOUT_SECONDS", default: 75, in: 1...3_600)),
            readTimeout: .seconds(reader.integer("CARD_APP_READ_TIMEOUT_SECONDS", default: 10, in: 1...300)),
            maxConnections: reader.integer("CARD_APP_MAX_CONNECTIONS", default: 1_024, in: 1...100_000)
        )
        let drainSeconds = reader.integer("CARD_APP_DRAIN_SECONDS", default: 80, in: 1...115)
        let tls = Self.tls(&reader)
        let metricsToken = reader.optionalString("CARD_APP_METRICS_TOKEN")
        if let metricsToken, metricsToken.utf8.count < 16 { reader.problem("CARD_APP_METRICS_TOKEN must be at least 16 characters") }
        let maxConnections = reader.integer("DATABASE_MAX_CONNECTIONS", default: 20, in: 1...500)
        let sourceName = reader.string("CARD_TOKEN_SOURCE", default: "pool")
        let tokenSource = CardApplication.Configuration.TokenSource(rawValue: sourceName)
        if tokenSource == nil { reader.problem("CARD_TOKEN_SOURCE must be pool or direct") }
        let ns1 = reader.string("TOME_NS1", default: "NS1")
        let ns2 = reader.string("TOME_NS2", default: "NS2")
        let logLevel = reader.logLevel("LOG_LEVEL")
        let logFormat = reader.logFormat("LOG_FORMAT")
        problems += reader.problems
        var tome: HTTPTOMEClient.Configuration?
        do { tome = try HTTPTOMEClient.Configuration(environment: environment) } catch { problems += error.problems }
        guard problems.isEmpty, var database, let tome, let clients, let tokenSource else { throw ConfigurationError(problems: problems) }
        database.maxConnections = maxConnections
        self.database = database
        self.tome = tome
        self.namespaces = .init(ns1: ns1, ns2: ns2)
        self.clients = clients
        self.tokenSource = tokenSource
        self.auditKey = auditKey
        self.trustedProxies = trustedProxies
        self.detokenizeFromTOME = fromTOME != "false"
        self.serverLimits = serverLimits
        self.metricsToken = metricsToken
        self.tls = tls
        self.drain = .seconds(drainSeconds)
        self.logLevel = logLevel
        self.logFormat = logFormat
    }

    /// The certificate and key, from files or values, one pair or none; every problem named.
    private static func tls(_ reader: inout EnvironmentReader) -> ServerTLS? {
        let files = (reader.optionalString("CARD_APP_TLS_CERT_FILE"), reader.optionalString("CARD_APP_TLS_KEY_FILE"))
        let values = (reader.optionalString("CARD_APP_TLS_CERT"), reader.optionalString("CARD_APP_TLS_KEY"))
        let pem: (certificate: String, key: String)
        switch (files, values) {
        case ((nil, nil), (nil, nil)):
            return nil
        case ((let certificate?, let key?), (nil, nil)):
            guard let certificateText = try? String(contentsOfFile: certificate, encoding: .utf8),
                let keyText = try? String(contentsOfFile: key, encoding: .utf8)
            else {
                reader.problem("CARD_APP_TLS_CERT_FILE and CARD_APP_TLS_KEY_FILE must be readable files")
                return nil
            }
            pem = (certificateText, keyText)
        case ((nil, nil), (let certificate?, let key?)):
            pem = (certificate, key)
        default:
            reader.problem("set CARD_APP_TLS_CERT_FILE with CARD_APP_TLS_KEY_FILE, or CARD_APP_TLS_CERT with CARD_APP_TLS_KEY, or none")
            return nil
        }
        do {
            return try ServerTLS(certificateChainPEM: pem.certificate, privateKeyPEM: pem.key)
        } catch {
            reader.problem("card-app's TLS: \(error.problems.joined(separator: "; "))")
            return nil
        }
    }

    /// The clients in force at start-up; a clients file that is refused stops the start.
    func clientRegistry(logger: Logger) throws(ClientsFileError) -> ClientRegistry {
        switch clients {
        case .file(let path): try ClientRegistry(path: path, logger: logger)
        case .document(let document): try ClientRegistry(document: document, logger: logger)
        case .token(let token): ClientRegistry(token: token, logger: logger)
        }
    }
}
