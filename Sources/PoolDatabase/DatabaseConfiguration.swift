public import PostgresNIO
import NIOSSL

/// Where the pool's PostgreSQL (or CockroachDB) is and how to reach it.
///
/// Tests build it directly; executables read `DATABASE_URL` with `init(url:)`.
/// `description` never shows the password.
public struct DatabaseConfiguration: Sendable, CustomStringConvertible {
    /// TLS to the database. `prefer` is PostgresNIO's default, but a payments deployment should say `require`.
    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
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
        self.maxConnections = maxConnections
        self.connectTimeout = connectTimeout
        self.startupParameters = startupParameters
    }

    public var description: String {
        "postgres://\(username)@\(host):\(port)/\(database) (tls \(tls.rawValue))"
    }

    /// The PostgresNIO client configuration.
    public func makeClientConfiguration() -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(.makeClientConfiguration())
            case .require: .require(.makeClientConfiguration())
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
    /// `sslmode` takes `disable`, `prefer` (the default) or `require` (`verify-full` and
    /// `verify-ca` are read as `require`, which verifies the certificate against the system store).
    /// `options` takes server settings as libpq does, e.g. `options=-c%20statement_timeout%3D5000`.
    public init(url: String) throws(DatabaseURLError) {
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
        var startupParameters: [(String, String)] = []
        for item in query.split(separator: "&") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            switch (pair[0], pair[1]) {
            case ("sslmode", "disable"): tls = .disable
            case ("sslmode", "prefer"), ("sslmode", "allow"): tls = .prefer
            case ("sslmode", "require"), ("sslmode", "verify-ca"), ("sslmode", "verify-full"): tls = .require
            case ("sslmode", _): throw DatabaseURLError("has an unknown sslmode (use disable, prefer or require)")
            case ("options", let options): startupParameters += try Self.serverSettings(percentDecoded(Substring(options)))
            default: throw DatabaseURLError("has an unsupported parameter \"\(pair[0].prefix(32))\"")
            }
        }
        self.init(
            host: host, port: port, username: username, password: password, database: database, tls: tls,
            startupParameters: startupParameters
        )
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
