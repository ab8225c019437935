import Crypto
import Synchronization

/// The hash chain that makes the audit trail tamper-evident. Each record carries the chain's
/// name, its sequence number and the SHA-256 of the previous record's line, so a record removed,
/// reordered or edited breaks the chain at the record after it (`AuditVerifier` names it).
///
/// One chain per process, named in every record (`card-app audit-verify` checks each apart):
/// several tasks write at once, and a chain shared between them would need a coordinator on the
/// card path. A process's first record starts its chain (`"event": "chain_started"`, with
/// `prev` all zeros); nothing of a chain is kept across a restart, which starts the next one.
final class AuditChain: Sendable {
    /// The `prev` of a chain's first record.
    static let genesis = String(repeating: "0", count: 64)

    let name: String
    /// What the chain's first record says besides its chain fields (the process that writes it).
    private let start: [(String, String?)]
    private let state = Mutex<(next: Int, previous: String)>((1, AuditChain.genesis))

    init(name: String, start: [(String, String?)]) {
        self.name = name
        self.start = start
    }

    /// Writes the line that `fields` make with the chain's fields first, then moves the chain on;
    /// before a chain's first record, the record that starts it. Under one lock: records are
    /// numbered in the order they are written, and a record that cannot be written leaves the
    /// chain where it was.
    func append(_ fields: [(String, String?)], write: (String) throws -> Void) throws {
        try state.withLock { state in
            if state.next == 1 {
                state = try link(start, after: state, write: write)
            }
            state = try link(fields, after: state, write: write)
        }
    }

    private func link(_ fields: [(String, String?)], after state: (next: Int, previous: String), write: (String) throws -> Void) throws -> (next: Int, previous: String) {
        let line = JSONText.object(
            [("chain", JSONText.string(name)), ("seq", String(state.next)), ("prev", JSONText.string(state.previous))] + fields
        )
        try write(line)
        return (state.next + 1, Self.hash(line))
    }

    /// The lowercase hex SHA-256 of a record's line, as the next record's `prev`.
    static func hash(_ line: String) -> String {
        ClientSet.hexString(SHA256.hash(data: Array(line.utf8)))
    }
}
