// JSONSerialization: the records are read as any JSON object, whatever fields they carry.
import Foundation

/// Checks the hash chains of audit records (`AuditChain`): in each chain the records follow one
/// another from seq 1, and each one's `prev` is the SHA-256 of the record before it. Lines that
/// are not audit records (other logs on the same stream) are skipped.
public enum AuditVerifier {
    public struct Report: Sendable, Equatable {
        /// Records checked per chain.
        public var chains: [String: Int] = [:]
        /// The first broken link, naming its record; nil when every chain holds.
        public var problem: String?

        public var records: Int { chains.values.reduce(0, +) }
    }

    private struct Link {
        var seq: Int
        var hash: String
        var line: Int
    }

    /// `lines` as written, one record per line, in the order they were written.
    public static func verify(lines: some Sequence<String>) -> Report {
        var report = Report()
        var last: [String: Link] = [:]
        for (index, text) in lines.enumerated() {
            let number = index + 1
            guard let data = text.data(using: .utf8), let record = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                record["logger"] as? String == "card-app.audit"
            else { continue }
            guard let chain = record["chain"] as? String, let seq = record["seq"] as? Int, let prev = record["prev"] as? String else {
                report.problem = "line \(number): an audit record without chain, seq and prev"
                return report
            }
            let hash = AuditChain.hash(text)
            let name = "chain \(chain), seq \(seq) (line \(number))"
            if let before = last[chain] {
                if seq <= before.seq {
                    report.problem = "\(name): comes after seq \(before.seq) (line \(before.line)): records reordered or repeated"
                    return report
                }
                if seq != before.seq + 1 {
                    report.problem = "\(name): follows seq \(before.seq) (line \(before.line)): \(seq - before.seq - 1) record(s) removed"
                    return report
                }
                if prev != before.hash {
                    report.problem = "\(name): its prev is not the hash of seq \(before.seq) (line \(before.line)): that record was changed, or one was removed before this one"
                    return report
                }
            } else if seq != 1 || prev != AuditChain.genesis {
                report.problem = "\(name): the first record of its chain here, but not the chain's start (seq 1): the records before it are missing"
                return report
            }
            last[chain] = Link(seq: seq, hash: hash, line: number)
            report.chains[chain, default: 0] += 1
        }
        return report
    }
}
