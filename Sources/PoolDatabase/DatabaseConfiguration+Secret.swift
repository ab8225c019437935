#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension DatabaseConfiguration {
    /// What a database secret does not say itself: TLS, and the endpoint when the secret holds
    /// only a login (as an RDS-managed master user secret does).
    public struct SecretDefaults: Sendable {
        /// `DATABASE_SSLMODE`; default `require`.
        public var tls: TLSMode
        /// `DATABASE_SSLROOTCERT`; default none (the system store).
        public var rootCertificateFile: String?
        /// `DATABASE_HOST`, `DATABASE_PORT`, `DATABASE_NAME`: used where the secret has none.
        public var host: String?
        public var port: Int?
        public var database: String?

        public init(tls: TLSMode = .require, rootCertificateFile: String? = nil, host: String? = nil, port: Int? = nil, database: String? = nil) {
            self.tls = tls
            self.rootCertificateFile = rootCertificateFile
            self.host = host
            self.port = port
            self.database = database
        }
    }

    /// From a secret's value: a `postgres://` URL (held to `defaults.tls` beyond loopback, see
    /// `secretURL(_:floor:)`), or the JSON that RDS and its rotation functions keep (`username`, `password`, `host`, `port`, `dbname`, optional `engine`; other keys such
    /// as `dbInstanceIdentifier` are ignored). Errors never quote the value.
    public init(secret: String, defaults: SecretDefaults) throws(DatabaseURLError) {
        let trimmed = String(secret.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = try Self.secretURL(trimmed, floor: defaults)
            return
        }
        guard trimmed.hasPrefix("{"), let login = try? JSONDecoder().decode(RDSSecret.self, from: Data(trimmed.utf8)) else {
            throw DatabaseURLError(secret: "is neither a postgres:// URL nor a JSON object with string \"username\" and \"password\"")
        }
        if let engine = login.engine, !["postgres", "postgresql", "aurora-postgresql"].contains(engine.lowercased()) {
            throw DatabaseURLError(secret: "is for engine \"\(engine.prefix(40))\", not PostgreSQL")
        }
        guard let host = login.host ?? defaults.host, !host.isEmpty else {
            throw DatabaseURLError(secret: "names no \"host\" and DATABASE_HOST is not set")
        }
        guard let database = login.dbname ?? defaults.database, !database.isEmpty else {
            throw DatabaseURLError(secret: "names no \"dbname\" and DATABASE_NAME is not set")
        }
        let port = login.port?.value ?? defaults.port ?? 5432
        guard (1...65_535).contains(port) else { throw DatabaseURLError(secret: "has an invalid \"port\"") }
        guard !login.username.isEmpty else { throw DatabaseURLError(secret: "has an empty \"username\"") }
        self.init(
            host: host, port: port, username: login.username, password: login.password, database: database,
            tls: defaults.tls, rootCertificateFile: defaults.rootCertificateFile
        )
        try checkRootCertificateFile()
    }
}

/// The keys of an RDS database secret that a connection needs.
private struct RDSSecret: Decodable {
    var username: String
    var password: String
    var host: String?
    var port: FlexibleInt?
    var dbname: String?
    var engine: String?
}

/// RDS writes `port` as a number; hand-made secrets often write it as a string.
private struct FlexibleInt: Decodable {
    var value: Int?

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self) {
            value = number
        } else {
            value = Int(try container.decode(String.self))
        }
    }
}

extension DatabaseURLError {
    init(secret problem: String) {
        self.description = "the database secret \(problem)"
    }
}
