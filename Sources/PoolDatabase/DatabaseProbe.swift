public import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// Opens one connection outside the pool, to find out at once why the database cannot be used.
///
/// The pool hides a refused connection or a wrong password behind its own retries for up to a
/// minute; a start-up probe turns them into an error that names the cause within the connect timeout.
public enum DatabaseProbe {
    public static func check(_ configuration: DatabaseConfiguration, logger: Logger) async throws(DatabaseError) {
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch try configuration.makeTLSConfiguration() {
            case nil: tls = .disable
            case let settings? where configuration.tls == .prefer: tls = .prefer(try NIOSSLContext(configuration: settings))
            case let settings?: tls = .require(try NIOSSLContext(configuration: settings))
            }
        } catch let error as DatabaseError {
            throw error
        } catch {
            throw DatabaseError(operation: "set up TLS to the database", underlying: error)
        }
        var connectionConfiguration = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: tls
        )
        connectionConfiguration.options.connectTimeout = .nanoseconds(Int64(configuration.connectTimeout / .nanoseconds(1)))
        connectionConfiguration.options.additionalStartupParameters = configuration.startupParameters
        do {
            let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
            try? await connection.close()
        } catch {
            throw DatabaseError(operation: "connect to \(configuration)", underlying: error)
        }
    }
}
