import PoolDatabase
import TOMEClient

/// Why a valid event could not be carried out. Its kind travels to the JSON answer, the exit
/// code and Lambda's `errorType`, instead of being flattened into a string on the way.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The database failed or did not answer.
        case database
        /// The database refused the password (28P01): after a rotation, the secret may be newer.
        case databaseLogin = "database_login"
        /// TOME failed, refused or did not answer.
        case tome
        /// Something outside the job must be fixed first: the schema, TOME's namespaces, the batch size.
        case notReady = "not_ready"
        /// Anything else.
        case other
    }

    public let kind: Kind
    public let description: String

    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }

    init(_ error: any Error) {
        switch error {
        case let error as JobFailure: self = error
        case let error as DatabaseError: self.init(kind: error.isLoginRefused ? .databaseLogin : .database, description: "\(error)")
        case is ReadinessError: self.init(kind: .notReady, description: "\(error)")
        case is DualNamespaceError, is TOMEError: self.init(kind: .tome, description: "\(error)")
        default: self.init(kind: .other, description: "\(error)")
        }
    }

    /// Lambda's `errorType` for this failure: what a dead-letter queue's reader filters on.
    public var lambdaErrorType: String {
        switch kind {
        case .database, .databaseLogin: "DatabaseUnavailable"
        case .tome: "TOMEUnavailable"
        case .notReady: "NotReady"
        case .other: "RefillFailed"
        }
    }
}
