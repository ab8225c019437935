public import PostgresNIO
import NIOSSL

/// Where the pool's PostgreSQL (or CockroachDB) is and how to reach it.
///
/// Tests build it directly; executables read `DATABASE_URL` with `init(url:)`.
/// `description` never shows the password.
public struct DatabaseConfiguration: Sendable, CustomStringConvertible {
    /// TLS to the database, as libpq's `sslmode` means it.
    ///
    /// `prefer` and `require` encrypt without checking the server's certificate (so `require`
    /// reaches RDS, whose certificates chain to Amazon's own roots); `verify-ca` checks the chain
    /// against `rootCertificateFile` (or the system store), and `verify-full` also the host name.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// PEM file of the certificate authorities `verify-ca` and `verify-full` trust (libpq's
    /// `sslrootcert`); nil trusts the system store. For RDS, AWS's global bundle.
    public var rootCertificateFile: String?
    /// Most connections the client opens. Default 10.
    public var maxConnections: Int
    /// How long to wait for a connection. Default 5 s.
    public var connectTimeout: Duration
    /// Extra settings sent at connection start, e.g. `search_path` or `default_transaction_isolation`.
    public var startupParameters: [(String, String)]

    public init(
        host: String = "127.0.0.1",
        port: Int = 5432,
        username: String,
        password: String?,
        database: String,
        tls: TLSMode = .prefer,
        rootCertificateFile: String? = nil,
        maxConnections: Int = 10,
        connectTimeout: Duration = .seconds(5),
        startupParameters: [(String, String)] = []
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.rootCertificateFile = rootCertificateFile
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.startupParameters = startupParameters
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database) (tls \(tls.rawValue))"
    }

    /// The PostgresNIO client configuration.
    public func makeClientConfiguration() throws(DatabaseError) -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS =
            switch try makeTLSConfiguration() {
            case nil: .disable
            case let configuration? where tls == .prefer: .prefer(configuration)
            case let configuration?: .require(configuration)
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: tlsSetting
        )
        configuration.options.maximumConnections = max(1, maxConnections)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}

extension DatabaseConfiguration {
    /// Parses `postgres://user:password@host:port/database?sslmode=require`.
    ///
    /// `sslmode` takes `disable`, `allow` or `prefer` (the default), `require`, `verify-ca` and
    /// `verify-full`, with libpq's meanings; `sslrootcert` names the PEM file of trusted
    /// authorities (`system`, or no `sslrootcert`, trusts the system store). `options` takes
    /// server settings as libpq does, e.g. `options=-c%20statement_timeout%3D5000`.
    public init(url: String) throws(DatabaseURLError) {
        self = try Self.parse(url: url).configuration
    }

    /// The configuration a URL names, and which of `sslmode` and `sslrootcert` it names itself
    /// (the TLS floor tells a URL that chose `prefer` from one that said nothing).
    static func parse(url: String) throws(DatabaseURLError) -> (configuration: DatabaseConfiguration, named: Set<String>) {
        guard let schemeEnd = url.range(of: "://") else { throw DatabaseURLError("has no scheme (postgres://…)") }
        let scheme = url[..<schemeEnd.lowerBound]
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError("must start with postgres:// or postgresql://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        guard let slash = rest.firstIndex(of: "/") else { throw DatabaseURLError("names no database (…/dbname)") }
        let database = percentDecoded(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        guard let at = authority.lastIndex(of: "@") else { throw DatabaseURLError("names no user (user@host)") }
        let credentials = authority[..<at]
        let hostPort = authority[authority.index(after: at)...]
        let username: String
        var password: String?
        if let colon = credentials.firstIndex(of: ":") {
            username = percentDecoded(credentials[..<colon])
            password = percentDecoded(credentials[credentials.index(after: colon)...])
        } else {
            username = percentDecoded(credentials)
        }
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let parsed = Int(hostPort[hostPort.index(after: colon)...]), (1...65_535).contains(parsed) else {
                throw DatabaseURLError("has an invalid port")
            }
            port = parsed
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw DatabaseURLError("names no host") }
        guard !username.isEmpty else { throw DatabaseURLError("names no user") }
        guard !database.isEmpty else { throw DatabaseURLError("names no database") }
        var tls = TLSMode.prefer
        var rootCertificateFile: String?
        var startupParameters: [(String, String)] = []
        var named: Set<String> = []
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            named.insert(pair[0])
            switch (pair[0], pair[1]) {
            case ("sslmode", "allow"): tls = .prefer
            case ("sslmode", let mode):
                guard let parsed = TLSMode(rawValue: mode) else {
                    throw DatabaseURLError("has an unknown sslmode (use \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                tls = parsed
            case ("sslrootcert", let file):
                let path = percentDecoded(Substring(file))
                rootCertificateFile = path == "system" ? nil : path
            case ("options", let options): startupParameters += try Self.serverSettings(percentDecoded(Substring(options)))
            default: throw DatabaseURLError("has an unsupported parameter \"\(pair[0].prefix(32))\"")
            }
        }
        let configuration = DatabaseConfiguration(
            host: host, port: port, username: username, password: password, database: database, tls: tls,
            rootCertificateFile: rootCertificateFile, startupParameters: startupParameters
        )
        try configuration.checkRootCertificateFile()
        return (configuration, named.intersection(["sslmode", "sslrootcert"]))
    }

    /// `-c name=value -c other=value` (or `--name=value`), as libpq's `options`.
    private static func serverSettings(_ options: String) throws(DatabaseURLError) -> [(String, String)] {
        var settings: [(String, String)] = []
        var words = options.split(separator: " ").map(String.init)[...]
        while let word = words.popFirst() {
            let setting: String
            if word == "-c", let next = words.popFirst() {
                setting = next
            } else if word.hasPrefix("-c") {
                setting = String(word.dropFirst(2))
            } else if word.hasPrefix("--") {
                setting = String(word.dropFirst(2))
            } else {
                throw DatabaseURLError("has options that are not -c name=value settings")
            }
            let pair = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, !pair[0].isEmpty else { throw DatabaseURLError("has an option without name=value") }
            settings.append((pair[0], pair[1]))
        }
        return settings
    }
}

/// What is wrong with a database URL. Never quotes the URL, which may hold a password.
public struct DatabaseURLError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ problem: String) { description = "the database URL \(problem)" }
}

private func percentDecoded(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let byte = iterator.next() {
        if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
            let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
        {
            bytes.append(value)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
