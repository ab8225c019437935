import ArgumentParser
import CardService

import Foundation

/// `card-app audit-verify FILE`: checks the audit trail's hash chains and names the first bad record.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-verify",
        abstract: "Check the audit records in a file: every chain whole, in order and unchanged.",
        discussion: """
            FILE holds card-app's standard output (or the audit records taken from the log store), one \
            record per line as written; other lines are skipped. Exit 0 when every chain holds; 1 naming \
            the first record whose link is broken (the record after one that was removed or changed); \
            2 when FILE cannot be read.
            """
    )

    @Argument(help: "The file to check; - for standard input.") var file: String

    func run() throws {
        let text: String
        do {
            text = file == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            print("error: cannot read \(file) as UTF-8 text")
            throw ExitCode(2)
        }
        let report = AuditVerifier.verify(lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        if let problem = report.problem {
            print("error: \(problem)")
            throw ExitCode(1)
        }
        print("ok: \(report.records) audit records in \(report.chains.count) chain(s), every chain whole, in order and unchanged")
    }
}
