import Crypto

/// Keyed fingerprints for the audit trail: an NS2 reference, or a card's pair, as the first 64
/// bits of an HMAC-SHA256 under a secret of the deployment (`CARD_APP_AUDIT_KEY`). The same value
/// always gives the same fingerprint, so every record about one reference can be found by whoever
/// holds the key; without it, someone with the logs and a reference cannot find its records.
public struct AuditFingerprint: Sendable {
    private let key: SymmetricKey

    /// `secret`: at least 32 bytes of the deployment's secret.
    public init(secret: [UInt8]) {
        key = SymmetricKey(data: secret)
    }

    /// A key of this process only: fingerprints then match within one process's records alone.
    public static func random() -> AuditFingerprint {
        AuditFingerprint(secret: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    func reference(_ reference: String) -> String {
        fingerprint("ns2:" + reference)
    }

    /// The pair a card received, never its tokens.
    func pair(ns1: String, ns2: String) -> String {
        fingerprint("pair:" + ns1 + "\u{0}" + ns2)
    }

    private func fingerprint(_ text: String) -> String {
        "hmac-sha256:" + ClientSet.hexString(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key).prefix(8))
    }
}
