import PoolDatabase
import TOMEClient

/// Why an event was not carried out, or not in full. Its kind is the one source of the JSON
/// answer's `errorKind`, the exit code and Lambda's `errorType`, instead of a string flattened
/// on the way.
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The event was malformed; nothing was written.
        case event
        /// A setting is missing or wrong.
        case configuration
        /// The database failed or did not answer.
        case database
        /// The database refused the password (28P01): after a rotation, the secret may be newer.
        case databaseLogin = "database_login"
        /// TOME failed, refused, did not answer, or answered against the contract.
        case tome
        /// TOME refused our credentials (401 or 403): after a rotation, the token's secret may be newer.
        case tomeCredentials = "tome_credentials"
        /// Something outside the job must be fixed first: the schema, TOME's namespaces, the batch size.
        case notReady = "not_ready"
        /// The run lost its refill lease and stopped starting batches.
        case lease
        /// The invocation's deadline came too close to start another batch.
        case deadline
        /// A stored run that this program cannot read, or anything else.
        case other

        /// Lambda's `errorType`: what a dead-letter queue's reader filters on.
        public var lambdaErrorType: String {
            switch self {
            case .event: "InvalidEvent"
            case .configuration: "Runtime.InvalidConfiguration"
            case .database, .databaseLogin: "DatabaseUnavailable"
            case .tome: "TOMEUnavailable"
            case .tomeCredentials: "TOMECredentialsRefused"
            case .notReady: "NotReady"
            case .lease: "LeaseLost"
            case .deadline: "DeadlineReached"
            case .other: "RefillFailed"
            }
        }

        /// The exit status of a command or stdin run that ended this way (documented in the README).
        public var exitCode: Int32 {
            switch self {
            case .other, .deadline: 1
            case .configuration: 2
            case .lease: 3
            case .database, .databaseLogin: 4
            case .tome, .tomeCredentials: 5
            case .notReady: 6
            case .event: 65
            }
        }
    }

    public let kind: Kind
    public let description: String

    public init(kind: Kind, description: String) {
        self.kind = kind
        self.description = description
    }

    /// A malformed event; the message names the field and the problem, and nothing was written.
    static func event(_ description: String) -> JobFailure { JobFailure(kind: .event, description: description) }
    /// Something outside the job must be fixed before it can refill: the schema, TOME's namespaces, the batch size.
    static func notReady(_ description: String) -> JobFailure { JobFailure(kind: .notReady, description: description) }
    /// TOME answered against a rule the client cannot check alone; the batch was not stored.
    static func tome(_ description: String) -> JobFailure { JobFailure(kind: .tome, description: description) }

    /// The kind of failure `error` is, with its description.
    public init(_ error: any Error) {
        switch error {
        case let error as JobFailure: self = error
        case let error as DatabaseError: self.init(kind: error.isLoginRefused ? .databaseLogin : .database, description: "\(error)")
        case let error as TOMEError: self.init(kind: error.refusedOurCredentials ? .tomeCredentials : .tome, description: "\(error)")
        case let error as DualNamespaceError:
            self.init(kind: error.underlying.refusedOurCredentials ? .tomeCredentials : .tome, description: "\(error)")
        default: self.init(kind: .other, description: "\(error)")
        }
    }
}
