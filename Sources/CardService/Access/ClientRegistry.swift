public import Logging
import Metrics
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The clients in force. A reload replaces the whole set at once; a file that cannot be read,
/// parsed or checked is refused with a log line naming the problem, and the last good set
/// stays in force, so a bad edit never locks every caller out.
public final class ClientRegistry: Sendable {
    private struct State {
        var clients: ClientSet
        /// The bytes last read, good or not: a changed file is reloaded once, not every poll.
        var lastRead: [UInt8]?
        /// Where changes to the clients in force are recorded, once the audit trail exists.
        var audit: AuditTrail?
    }

    /// `CARD_APP_CLIENTS_FILE`, or nil when `CARD_APP_TOKEN` is the one client.
    public let path: String?
    private let state: Mutex<State>
    private let logger: Logger

    /// The set `CARD_APP_TOKEN` makes, which never reloads.
    public init(token: String, logger: Logger) {
        path = nil
        state = Mutex(State(clients: .single(token: token)))
        self.logger = logger
    }

    /// `CARD_APP_CLIENTS`: the clients document as a value, which never reloads (ECS puts a
    /// secret into the environment at the task's start; a new deployment brings a new one).
    public init(document: String, logger: Logger) throws(ClientsFileError) {
        path = nil
        state = Mutex(State(clients: try ClientSet.parse(Array(document.utf8))))
        self.logger = logger
    }

    /// Reads `path` now; a file that is refused here stops the start-up with its problems.
    public init(path: String, logger: Logger) throws(ClientsFileError) {
        let bytes = try Self.read(path)
        self.path = path
        state = Mutex(State(clients: try ClientSet.parse(bytes), lastRead: bytes))
        self.logger = logger
    }

    public var clients: ClientSet {
        state.withLock { $0.clients }
    }

    /// Records the clients in force now, and every change or refused reload from now on, on `audit`.
    func recordChanges(on audit: AuditTrail) {
        let clients = state.withLock { state in
            state.audit = audit
            return state.clients
        }
        record(.clientsLoaded, detail: "in force at start: " + Self.summary(clients))
    }

    private func record(_ outcome: AuditTrail.Outcome, detail: String) {
        guard let audit = state.withLock({ $0.audit }) else { return }
        var entry = AuditEntry(outcome: outcome)
        entry.detail = detail
        // A change happens whether or not its record can be written; the failure is counted.
        try? audit.record(entry)
    }

    /// Each client's id and scopes, never a key or its hash.
    private static func summary(_ clients: ClientSet) -> String {
        clients.clients.map { "\($0.id) [\($0.scopes.sorted().map(\.rawValue).joined(separator: " "))]" }.joined(separator: ", ")
    }

    /// Reads the file again (on SIGHUP, or when a poll saw it change). True when a new set is in force.
    @discardableResult
    public func reload(reason: String, onlyIfChanged: Bool = false) -> Bool {
        guard let path else { return false }
        let bytes: [UInt8]
        do {
            bytes = try Self.read(path)
        } catch {
            // Mid-rename, removed or no longer trusted: keep what works, say so once per change.
            if state.withLock({ $0.lastRead != nil }) || !onlyIfChanged {
                refused(reason: reason, problem: error)
            }
            state.withLock { $0.lastRead = nil }
            return false
        }
        if onlyIfChanged, state.withLock({ $0.lastRead == bytes }) { return false }
        state.withLock { $0.lastRead = bytes }
        do {
            let clients = try ClientSet.parse(bytes)
            state.withLock { $0.clients = clients }
            record(.clientsLoaded, detail: "\(reason): " + Self.summary(clients))
            logger.notice(
                "clients file loaded",
                metadata: ["reason": "\(reason)", "clients": "\(clients.clients.map(\.id).joined(separator: ","))"])
            return true
        } catch {
            refused(reason: reason, problem: error)
            return false
        }
    }

    /// A reload that failed: a revocation in it is not in force, so besides the log line a
    /// counter (`card_app_clients_reload_failures`) lets an alarm say so.
    private func refused(reason: String, problem: ClientsFileError) {
        logger.error("clients file refused; the last good set stays in force", metadata: ["reason": "\(reason)", "problem": "\(problem)"])
        Counter(label: "card_app_clients_reload_failures").increment()
        record(.clientsRefused, detail: "\(reason): \(problem)")
    }

    private static func read(_ path: String) throws(ClientsFileError) -> [UInt8] {
        let problems = ClientsFilePermissions.problems(path)
        guard problems.isEmpty else { throw ClientsFileError(problems: problems) }
        do {
            return Array(try String(contentsOfFile: path, encoding: .utf8).utf8)
        } catch {
            throw ClientsFileError(problems: ["cannot read \(path) as UTF-8 text"])
        }
    }
}
