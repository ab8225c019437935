import ArgumentParser
import CardService
import TokenPool

/// Prints a pgbench script that runs the very statement the library prepares, so the baseline
/// cannot drift from the code: the parameters become pgbench variables, nothing else changes.
struct PgbenchScript: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgbench-script",
        abstract: "Print a pgbench script replaying one of the library's one-statement paths."
    )

    enum Statement: String, ExpressibleByArgument, CaseIterable {
        /// The reservation alone (`PairClaim`).
        case claim
        /// card-app's pooled card creation (`PooledCardInsert`), without an Idempotency-Key.
        case card
    }

    @Argument(help: "claim or card.") var statement: Statement

    func run() async throws {
        // $1 card id, $2 the claim's start key; card: $3 customer id, $4 key, $5 request hash
        // (NULL, as card-app binds them for a request without an Idempotency-Key).
        let sql =
            switch statement {
            case .claim: PairClaim.statement
            case .card: PooledCardInsert.statement
            }
        let replacements = [
            ("$5", "NULL::text"), ("$4", "NULL::text"), ("$3", "'pgbench'"), ("$2", ":start"),
            ("$1", "('pgbench-' || :client_id || '-' || :card)"),
        ]
        let script = replacements.reduce(sql) { text, pair in text.replacingOccurrences(of: pair.0, with: pair.1) }
        print("\\set start random(0, 8999999999999999999)")
        print("\\set card random(1, 9000000000000000000)")
        print(script + ";")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
