import Crypto
import Metrics

/// One record per detokenization, per card read and per refused key on a `/v1` route (PCI DSS
/// requirement 10: who, what, when, outcome, invalid access attempts included), as a JSON line
/// on its own stream (`"logger": "card-app.audit"`). Never a token: a
/// reference is recorded as a fingerprint that cannot be turned back into it. A record that
/// cannot be written fails the request, so nothing is resolved off the record.
public struct AuditTrail: Sendable {
    public enum Outcome: String, Sendable {
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
        /// The database (or, after a miss, TOME) could not answer (503): nothing was returned,
        /// but the attempt is on the record.
        case failed
    }

    let sink: any LineSink

    public init(sink: any LineSink) {
        self.sink = sink
    }

    /// Writes one record, or throws the 503 that answers instead (nothing may be answered then).
    func record(client: String?, route: String, cardId: String? = nil, reference: String? = nil, outcome: Outcome) throws(APIError) {
        let line = JSONText.object([
            ("time", JSONText.now()),
            ("logger", JSONText.string("card-app.audit")),
            ("client", client.map(JSONText.string)),
            ("route", JSONText.string(route)),
            ("cardId", cardId.map(JSONText.string)),
            ("referenceFingerprint", reference.map { JSONText.string(Self.fingerprint($0)) }),
            ("outcome", JSONText.string(outcome.rawValue)),
        ])
        do {
            try sink.write(line: line)
        } catch {
            Counter(label: "card_app_audit_failures").increment()
            throw APIError.auditUnavailable
        }
        Counter(label: "card_app_audit_records", dimensions: [("outcome", outcome.rawValue)]).increment()
    }

    /// The first 16 hex digits of the reference's SHA-256: enough to find every record about
    /// one reference, and NS2 references are random, so the digest cannot be turned back.
    static func fingerprint(_ reference: String) -> String {
        "sha256:" + ClientSet.hexString(SHA256.hash(data: Array(reference.utf8)).prefix(8))
    }
}
