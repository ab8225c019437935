public import Logging
import TOMEClient

/// What `tome-prefetch audit` found: pairs whose NS2 reference TOME does not resolve to their NS1 token.
public struct AuditReport: Sendable, Codable, Equatable {
    public struct Mismatch: Sendable, Codable, Equatable {
        /// `pool` or `assignment`: the table the pair was read from.
        public var table: String
        /// The NS2 reference, shortened: enough to find the row, too little to use.
        public var ns2Token: String
        public var problem: String
    }

    public var pooledChecked: Int
    public var assignedChecked: Int
    public var mismatches: [Mismatch]

    public var isClean: Bool { mismatches.isEmpty }
}

extension RefillJob {
    /// Checks `sample` random pooled and `sample` random assigned pairs against TOME's NS2 detokenize.
    public func audit(sample: Int, logger: Logger? = nil) async throws -> AuditReport {
        let logger = logger ?? self.logger
        let store = RefillStore(client: database, logger: logger)
        let pooled = try await store.samplePairs(pooled: sample)
        let assigned = try await store.samplePairs(assigned: sample)
        var mismatches: [AuditReport.Mismatch] = []
        for (table, pairs) in [("pool", pooled), ("assignment", assigned)] where !pairs.isEmpty {
            let resolved = try await dual.resolve(references: pairs.map(\.ns2Token))
            for pair in pairs {
                if resolved.unknown.contains(pair.ns2Token) {
                    mismatches.append(.init(table: table, ns2Token: Redaction.token(pair.ns2Token), problem: "TOME does not know this reference"))
                } else if resolved.resolved[pair.ns2Token] != pair.ns1Token {
                    mismatches.append(.init(table: table, ns2Token: Redaction.token(pair.ns2Token), problem: "TOME maps it to another NS1 token"))
                }
            }
        }
        if !mismatches.isEmpty {
            logger.error("audit found mismatches", metadata: ["mismatches": "\(mismatches.count)"])
        }
        return AuditReport(pooledChecked: pooled.count, assignedChecked: assigned.count, mismatches: mismatches)
    }
}

/// Tokens are shortened wherever people can read them.
public enum Redaction {
    /// The first 8 characters and an ellipsis: `ns2_Ab3d…`.
    public static func token(_ token: String) -> String {
        token.count <= 8 ? String(repeating: "*", count: token.count) : token.prefix(8) + "…"
    }
}
