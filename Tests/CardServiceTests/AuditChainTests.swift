import CardService
import ProcessConfiguration
import Foundation
import HTTPTypes
import TestSupport
import Testing

/// The audit trail as a hash chain: it verifies as written, and a record removed, edited or
/// moved is found, named by the record after it. Records name where a request came from.
@Suite("card-app audit chain")
struct AuditChainTests {
    /// A few requests of every kind, and the lines they wrote.
    static func someRecords() async throws -> [String] {
        try await withCardApp { app in
            try await app.fill(2)
            let card = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#).decodeCard()
            _ = try await app.send(.get, "/v1/cards/\(card.cardId)")
            _ = try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "\#(card.ns2Token)"}"#)
            _ = try await app.send(.get, "/v1/cards/card_missing")
            _ = try await app.send(.get, "/v1/cards/\(card.cardId)", token: "cak_wrong_key_0123456789")
            return app.audit.lines
        }
    }

    @Test func theChainVerifiesAsWrittenAndStartsWithItsProcess() async throws {
        let lines = try await Self.someRecords()
        let report = AuditVerifier.verify(lines: lines)
        #expect(report.problem == nil, "\(report)")
        #expect(report.chains.count == 1 && report.records == lines.count)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["event"] as? String == "chain_started" && first["seq"] as? Int == 1)
        #expect(first["prev"] as? String == String(repeating: "0", count: 64))
        #expect(first["pid"] is Int && first["host"] is String)
        // The clients in force are on the record before the first request.
        #expect(lines[1].contains(#""outcome": "clients_loaded""#) && lines[1].contains("local [cards:create cards:read cards:read-any tokens:detokenize]"))
    }

    @Test func aRemovedRecordIsNamedByTheOneAfterIt() async throws {
        var lines = try await Self.someRecords()
        lines.remove(at: 3)
        let problem = try #require(AuditVerifier.verify(lines: lines).problem)
        #expect(problem.contains("seq 5 (line 4)") && problem.contains("follows seq 3") && problem.contains("1 record(s) removed"), "\(problem)")
    }

    @Test func anEditedRecordIsNamedByTheOneAfterIt() async throws {
        var lines = try await Self.someRecords()
        lines[3] = lines[3].replacingOccurrences(of: #""outcome": "database""#, with: #""outcome": "unknown""#)
        #expect(lines[3].contains(#""outcome": "unknown""#))
        let problem = try #require(AuditVerifier.verify(lines: lines).problem)
        #expect(problem.contains("seq 5 (line 5)") && problem.contains("not the hash of seq 4 (line 4)"), "\(problem)")
    }

    @Test func reorderedRecordsAndAMissingStartAreFound() async throws {
        var lines = try await Self.someRecords()
        lines.swapAt(2, 3)
        #expect(AuditVerifier.verify(lines: lines).problem?.contains("seq 4 (line 3)") == true)
        let tail = Array(try await Self.someRecords().dropFirst(2))
        #expect(AuditVerifier.verify(lines: tail).problem?.contains("the records before it are missing") == true)
    }

    /// `card-app audit-verify FILE`, the command an auditor runs: exit 0 on the chain as written,
    /// 1 naming the record after an edited one.
    @Test func theVerifyCommandPassesTheChainAndNamesTheBrokenLink() async throws {
        var lines = try await Self.someRecords()
        let good = try await Self.verifyWithTheBinary(["http://127.0.0.1:8080"] + lines)
        #expect(good.status == 0 && good.output.hasPrefix("ok: \(lines.count) audit records in 1 chain(s)"), "\(good)")
        lines[2] = lines[2].replacingOccurrences(of: #""outcome": "created""#, with: #""outcome": "replayed""#)
        #expect(lines[2].contains("replayed"))
        let bad = try await Self.verifyWithTheBinary(lines)
        #expect(bad.status == 1 && bad.output.contains("seq 4 (line 4)"), "\(bad)")
    }

    static func verifyWithTheBinary(_ lines: [String]) async throws -> (status: Int32, output: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tome-pool-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let records = folder.appendingPathComponent("audit.jsonl")
        let output = folder.appendingPathComponent("out.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: records, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = root.appendingPathComponent(".build/debug/card-app")
        process.arguments = ["audit-verify", records.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Polled: a blocked wait would hold a thread of the cooperative pool.
        while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8))
    }

    /// Behind a trusted proxy the client's address comes from X-Forwarded-For (the right-most
    /// hop that is not a proxy); from anyone else the header is not believed.
    @Test func theSourceIsTheClientBehindATrustedProxyOnly() async throws {
        let proxies = try TrustedProxies.parse("127.0.0.0/8, 10.0.0.0/8").get()
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "203.0.113.7, 10.1.2.3"]
        let behind = try await withCardApp(trustedProxies: proxies) { app in
            _ = try await app.send(.get, "/v1/cards/card_missing", headers: forwarded)
            return try app.audit.requestRecords().first?["source"] as? String
        }
        #expect(behind == "203.0.113.7")
        let direct = try await withCardApp { app in
            _ = try await app.send(.get, "/v1/cards/card_missing", headers: forwarded)
            return try app.audit.requestRecords().first?["source"] as? String
        }
        #expect(direct == "127.0.0.1")
        #expect(throws: ConfigurationError.self) { try TrustedProxies.parse("10.0.0.0/33").get() }
        #expect(throws: ConfigurationError.self) { try TrustedProxies.parse("load-balancer").get() }
    }

    /// A change to the clients in force, and a reload that was refused, are on the record.
    @Test func clientsChangesAreOnTheRecord() async throws {
        let file = try ClientsFile()
        defer { file.remove() }
        try file.write([("issuing", [ClientAccessTests.issuing], [.cardsCreate])])
        let registry = try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger)
        let lines = try await withCardApp(clients: registry) { app in
            try file.write([("issuing", [ClientAccessTests.issuing], [.cardsCreate]), ("support", [ClientAccessTests.support], [.cardsReadAny])])
            #expect(registry.reload(reason: "SIGHUP"))
            try file.write("{not json")
            #expect(!registry.reload(reason: "SIGHUP"))
            return app.audit.lines
        }
        let events = lines.compactMap { line -> String? in
            guard let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let outcome = record["outcome"] as? String
            else { return nil }
            return "\(outcome): \(record["detail"] as? String ?? "")"
        }
        #expect(
            events == [
                "clients_loaded: in force at start: issuing [cards:create]",
                "clients_loaded: SIGHUP: issuing [cards:create], support [cards:read-any]",
                "clients_refused: SIGHUP: the clients file is refused: it is not valid JSON",
            ], "\(events)")
        #expect(AuditVerifier.verify(lines: lines).problem == nil)
        for key in [ClientAccessTests.issuing.key, ClientAccessTests.issuing.hash, ClientAccessTests.support.hash] {
            #expect(!lines.joined().contains(key))
        }
    }
}
