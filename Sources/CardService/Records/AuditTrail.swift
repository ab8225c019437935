import Metrics
import ProcessConfiguration

/// The audit trail (PCI DSS requirement 10: who, what, when, where from, outcome): one JSON line
/// on its own stream (`"logger": "card-app.audit"`) for every card creation, card read,
/// detokenization, refusal (401, 403) and change to the clients in force, written before the
/// answer leaves. Each record carries the request id of the access log's line and the source
/// address, and is a link of a hash chain (`AuditChain`), so a removed, reordered or edited record
/// is detectable (`card-app audit-verify`). Never a token: references and pairs are keyed
/// fingerprints (`AuditFingerprint`). A record that cannot be written fails the request, so
/// nothing is created or resolved off the record.
public struct AuditTrail: Sendable {
    public enum Outcome: String, Sendable {
        /// A card was created (201), its pair from the pool or from TOME (`tokenSource`).
        case created
        /// A retry with the client's Idempotency-Key was answered with its earlier card (200).
        case replayed
        /// Found in the database (a pooled or recorded card).
        case database
        /// Found by TOME's NS2 detokenize after a database miss.
        case tome
        /// Neither knows it.
        case unknown
        /// The client lacks the route's scope.
        case denied
        /// The card exists but belongs to another client (or to no known client) and the caller
        /// may read only its own: answered 404, as if there were no such card.
        case notOwner = "not_owner"
        /// No key, or a key no client holds (401): no client is named.
        case unauthenticated
        /// The client is over its rate for the route, or for TOME lookups (429): `detail` names the budget.
        case limited
        /// The database (or, after a miss, TOME) could not answer (503): nothing was returned,
        /// but the attempt is on the record.
        case failed
        /// A clients document came into force (at start, or a reload): `detail` lists the clients.
        case clientsLoaded = "clients_loaded"
        /// A reload of the clients file was refused; the last good set stays (`detail` says why).
        case clientsRefused = "clients_refused"
    }

    let sink: any LineSink
    let chain: AuditChain
    let fingerprint: AuditFingerprint

    /// `chainName` names this process's chain in every record (`AuditTrail.chainName()` makes one).
    public init(sink: any LineSink, fingerprint: AuditFingerprint, chainName: String = AuditTrail.chainName()) {
        self.sink = sink
        self.fingerprint = fingerprint
        let start: [(String, String?)] = [
            ("time", JSONText.now()), ("logger", JSONText.string("card-app.audit")), ("event", JSONText.string("chain_started")),
            ("host", JSONText.string(ProcessIdentity.host)), ("pid", String(ProcessIdentity.pid)),
        ]
        self.chain = AuditChain(name: chainName, start: start)
    }

    /// A name for this process's chain: its host, its process id and a random part, so that
    /// chains of tasks on one host, or of one task restarted, never share a name.
    public static func chainName() -> String {
        "\(ProcessIdentity.host)/\(ProcessIdentity.pid)/\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    }

    /// Writes one record, or throws the 503 that answers instead (nothing may be answered then).
    func record(_ entry: AuditEntry) throws(APIError) {
        let fields: [(String, String?)] = [
            ("time", JSONText.now()),
            ("logger", JSONText.string("card-app.audit")),
            ("requestId", entry.requestId.map(JSONText.string)),
            ("source", entry.source.map(JSONText.string)),
            ("client", entry.client.map(JSONText.string)),
            ("route", entry.route.map(JSONText.string)),
            ("cardId", entry.cardId.map(JSONText.string)),
            ("tokenSource", entry.tokenSource.map(JSONText.string)),
            ("pairFingerprint", entry.pair.map { JSONText.string(fingerprint.pair(ns1: $0.ns1, ns2: $0.ns2)) }),
            ("referenceFingerprint", entry.reference.map { JSONText.string(fingerprint.reference($0)) }),
            ("outcome", JSONText.string(entry.outcome.rawValue)),
            ("detail", entry.detail.map(JSONText.string)),
        ]
        do {
            try chain.append(fields, write: sink.write(line:))
        } catch {
            Counter(label: "card_app_audit_failures").increment()
            throw APIError.auditUnavailable
        }
        Counter(label: "card_app_audit_records", dimensions: [("outcome", entry.outcome.rawValue)]).increment()
    }
}

/// What one audit record says, besides the chain's fields and the time.
struct AuditEntry: Sendable {
    var requestId: String?
    var source: String?
    var client: String?
    var route: String?
    var cardId: String?
    var tokenSource: String?
    /// A card's pair, recorded as a keyed fingerprint.
    var pair: (ns1: String, ns2: String)?
    /// An NS2 reference, recorded as a keyed fingerprint.
    var reference: String?
    var outcome: AuditTrail.Outcome
    var detail: String?

    init(outcome: AuditTrail.Outcome) {
        self.outcome = outcome
    }
}

extension CardRequestContext {
    /// An entry about this request on `route`: its request id, source address and client.
    func auditEntry(route: String, outcome: AuditTrail.Outcome) -> AuditEntry {
        var entry = AuditEntry(outcome: outcome)
        entry.requestId = id
        entry.source = sourceAddress
        entry.client = client?.id
        entry.route = route
        return entry
    }
}
