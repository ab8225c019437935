import NIOSSL
import PostgresNIO
import _ConnectionPoolModule

/// A database failure in words that are safe to log: the SQLSTATE and what it means, never
/// the statement's parameters or the server's message (which can quote a token).
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The SQLSTATE, when the server answered with one.
    public let sqlState: String?
    /// Whether running the same idempotent work again may succeed.
    public let isTransient: Bool
    /// What failed, e.g. "insert batch".
    public let operation: String
    public let underlying: any Error

    public init(operation: String, underlying error: any Error) {
        // withTransaction wraps what failed (BEGIN, the work, COMMIT); what matters is inside.
        var underlying = error
        if let transaction = error as? PostgresTransactionError,
            let cause = transaction.closureError ?? transaction.commitError ?? transaction.beginError
        {
            underlying = cause
        }
        self.operation = operation
        self.underlying = underlying
        if let error = underlying as? PSQLError {
            sqlState = error.serverInfo?[.sqlState]
            isTransient = Self.isTransient(error)
        } else if let error = underlying as? DatabaseError {
            sqlState = error.sqlState
            isTransient = error.isTransient
        } else if underlying is DatabaseTimeout {
            sqlState = nil
            isTransient = false
        } else if let error = underlying as? ConnectionPoolError {
            sqlState = nil
            isTransient = error == .connectionCreationCircuitBreakerTripped
        } else {
            sqlState = nil
            isTransient = false
        }
    }

    /// 40001 (serialization failure) and 40P01 (deadlock): the transaction should be run again.
    public var isSerializationFailure: Bool {
        sqlState == "40001" || sqlState == "40P01"
    }

    /// 28P01: the server refused the password, e.g. after a rotation; re-reading the secret may help.
    public var isLoginRefused: Bool {
        sqlState == "28P01"
    }

    public var description: String {
        var text = "database error while trying to \(operation)"
        if let sqlState {
            text += ": SQLSTATE \(sqlState)"
            if let meaning = Self.meanings[sqlState] { text += " (\(meaning))" }
        } else if let error = underlying as? PSQLError, let tls = Self.tlsFailure(error) {
            text += ": \(tls)"
        } else if let error = underlying as? PSQLError {
            text += ": \(Self.connectionMeaning(error.code))"
        } else if underlying is RootCertificateError {
            text += ": \(underlying)"
        } else if let timeout = underlying as? DatabaseTimeout {
            text += ": \(timeout)"
        } else if let error = underlying as? ConnectionPoolError {
            text += error == .connectionCreationCircuitBreakerTripped
                ? ": could not connect for a while (is PostgreSQL running and DATABASE_URL right?)"
                : ": the connection pool is shut down or the request was cancelled"
        } else {
            text += ": \(type(of: underlying))"
        }
        return text
    }

    private static func isTransient(_ error: PSQLError) -> Bool {
        guard error.code == .server else {
            // The connection broke or could not be made: the database may be restarting.
            return [.connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection].contains(error.code)
        }
        guard let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01" || state.hasPrefix("08") || state == "57P01" || state == "57P03"
    }

    /// A failed TLS handshake (untrusted certificate, wrong host name, no TLS offered) in words
    /// that name TLS. NIOSSL's errors describe certificates and names, never credentials.
    private static func tlsFailure(_ error: PSQLError) -> String? {
        guard let cause = error.underlying, cause is NIOSSLError || cause is NIOSSLExtraError else { return nil }
        let hint =
            switch cause {
            case let extra as NIOSSLExtraError where extra == .failedToValidateHostname:
                "the server's certificate does not name this host (sslmode verify-full)"
            case is NIOSSLError:
                "the server's certificate is not trusted (check sslrootcert and sslmode)"
            default:
                "the TLS handshake failed"
            }
        return "TLS to the database failed: \(hint): \(cause)"
    }

    private static func connectionMeaning(_ code: PSQLError.Code) -> String {
        switch code {
        case .connectionError: "could not connect (is PostgreSQL running and DATABASE_URL right?)"
        case .serverClosedConnection, .uncleanShutdown: "the server closed the connection"
        case .sslUnsupported: "the server does not offer TLS but sslmode requires it"
        case .authMechanismRequiresPassword: "the server wants a password and DATABASE_URL has none"
        case .poolClosed: "the connection pool is shut down"
        default: "\(code)"
        }
    }

    private static let meanings: [String: String] = [
        "40001": "serialization failure",
        "40P01": "deadlock",
        "42P01": "a table is missing: run `tome-prefetch migrate`",
        "42703": "a column is missing: the schema is older than this program, run `tome-prefetch migrate`",
        "28P01": "password authentication failed",
        "28000": "the role may not log in",
        "3D000": "the database does not exist",
        "42501": "permission denied",
        "57P01": "the server is shutting down",
        "57P03": "the server is starting up",
        "53300": "too many connections",
        "23505": "a unique constraint was violated",
        "23514": "a check constraint was violated",
        "25006": "the database is read-only",
    ]
}
