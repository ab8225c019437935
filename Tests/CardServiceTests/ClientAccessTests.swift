import CardService
import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

/// A client key and its clients-file hash.
struct TestKey {
    let key: String
    var hash: String { SHA256.hash(data: Array(key.utf8)).map { String(format: "%02x", $0) }.joined() }

    static func random(_ name: String) -> TestKey {
        TestKey(key: "cak_\(name)_" + (0..<4).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 36) }.joined())
    }
}

/// A clients file in a directory of its own, rewritten atomically (write, then rename) as an
/// operator's deploy tool would.
struct ClientsFile {
    let directory: URL
    var path: String { directory.appendingPathComponent("clients.json").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("clients-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func write(_ text: String) throws {
        let staging = directory.appendingPathComponent("clients.json.new")
        try text.write(to: staging, atomically: false, encoding: .utf8)
        guard rename(staging.path, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    func write(_ clients: [(id: String, keys: [TestKey], scopes: [Scope])]) throws {
        try write(Self.json(clients))
    }

    /// A clients document listing each client with its keys and scopes, and no limits.
    static func json(_ clients: [(id: String, keys: [TestKey], scopes: [Scope])]) -> String {
        let entries = clients.map { client in
            let hashes = client.keys.map { "\"\($0.hash)\"" }.joined(separator: ", ")
            let scopes = client.scopes.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            return #"{"id": "\#(client.id)", "keySha256": [\#(hashes)], "scopes": [\#(scopes)]}"#
        }
        return #"{"clients": [\#(entries.joined(separator: ", "))]}"#
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// The card app with the clients a clients file lists, the file written from `document` and
/// removed when the body ends.
func withCardApp<Result: Sendable>(
    clientsFile document: String, _ body: @Sendable (CardAppHarness) async throws -> Result
) async throws -> Result {
    let file = try ClientsFile()
    defer { file.remove() }
    try file.write(document)
    return try await withCardApp(clients: try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger), body)
}

@Suite("card-app clients, scopes and key rotation")
struct ClientAccessTests {
    static let issuing = TestKey.random("issuing")
    static let support = TestKey.random("support")
    static let settlement = TestKey.random("settlement")

    static let scopedClients = ClientsFile.json([
        ("issuing", [issuing], [.cardsCreate]), ("support", [support], [.cardsReadAny]),
        ("settlement", [settlement], [.tokensDetokenize]),
    ])

    @Test func eachRouteAnswersOnlyTheClientWithItsScope() async throws {
        try await withCardApp(clientsFile: Self.scopedClients) { app in
            try await app.fill(2)
            let created = try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#, token: Self.issuing.key)
            #expect(created.status == .created)
            let card = try created.decodeCard()
            let routes: [(HTTPRequest.Method, String, String?, Scope, HTTPResponse.Status)] = [
                (.post, "/v1/cards", #"{"customerId": "c-2"}"#, .cardsCreate, .created),
                (.get, "/v1/cards/\(card.cardId)", nil, .cardsRead, .ok),
                (.post, "/v1/detokenize", #"{"ns2Token": "\#(card.ns2Token)"}"#, .tokensDetokenize, .ok),
            ]
            let clients: [(TestKey, Scope)] = [(Self.issuing, .cardsCreate), (Self.support, .cardsReadAny), (Self.settlement, .tokensDetokenize)]
            for (method, uri, json, needed, allowed) in routes {
                for (key, holds) in clients {
                    let response = try await app.send(method, uri, json: json, token: key.key)
                    // cards:read-any reads what cards:read does, and more.
                    if holds == needed || (needed == .cardsRead && holds == .cardsReadAny) {
                        #expect(response.status == allowed, "\(method) \(uri) with the \(holds) client")
                    } else {
                        #expect(response.status == .forbidden, "\(method) \(uri) with the \(holds) client")
                        let error = try response.decode(ErrorBody.self).error
                        #expect(error.code == "forbidden")
                        #expect(error.message.contains(needed.rawValue), "\(error.message)")
                    }
                }
                // An unknown key, and a known key's hash presented as if it were the key.
                for token in ["cak_unknown_0123456789abcdef", Self.issuing.hash] {
                    let response = try await app.send(method, uri, json: json, token: token)
                    #expect(response.status == .unauthorized, "\(method) \(uri)")
                }
            }
        }
    }

    /// Whoever may change the file decides who may call the API: a file others may write, or
    /// another user's, is refused at start and on reload (the last good set stays), naming the fix.
    @Test func aClientsFileOthersMayChangeIsRefused() throws {
        let file = try ClientsFile()
        defer { file.remove() }
        try file.write([("issuing", [Self.issuing], [.cardsCreate])])
        #expect(chmod(file.path, 0o666) == 0)
        let refused = #expect(throws: ClientsFileError.self) { try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger) }
        #expect(refused?.description.contains("writable by anyone (mode 0666)") == true, "\(String(describing: refused))")
        #expect(refused?.description.contains("chmod go-w \(file.path)") == true)

        #expect(chmod(file.path, 0o600) == 0)
        let registry = try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger)
        try file.write([("issuing", [Self.issuing], [.cardsCreate]), ("support", [Self.support], [.cardsReadAny])])
        #expect(chmod(file.path, 0o620) == 0)
        #expect(!registry.reload(reason: "test"))
        #expect(registry.clients.clients.map(\.id) == ["issuing"])
        #expect(chmod(file.path, 0o640) == 0)
        #expect(registry.reload(reason: "test"))
        #expect(registry.clients.clients.map(\.id) == ["issuing", "support"])
        // Another user's file: only root can give one away, which the tests' user may not be.
        if geteuid() == 0 {
            try file.write([("issuing", [Self.issuing], [.cardsCreate])])
            #expect(chown(file.path, 4242, 4242) == 0)
            #expect(!registry.reload(reason: "test"))
            #expect(registry.clients.clients.map(\.id) == ["issuing", "support"])
            let owner = #expect(throws: ClientsFileError.self) { try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger) }
            #expect(owner?.description.contains("owned by uid 4242") == true, "\(String(describing: owner))")
        }
    }

    /// CARD_APP_CLIENTS: the same document as a value, checked the same way, never reloaded.
    @Test func theClientsDocumentAsAValueScopesClientsAsTheFileDoes() async throws {
        let document = #"{"clients": [{"id": "issuing", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:create"]}]}"#
        let registry = try ClientRegistry(document: document, logger: TestDatabase.quietLogger)
        #expect(registry.path == nil)
        #expect(!registry.reload(reason: "test"))
        try await withCardApp(clients: registry) { app in
            try await app.fill(1)
            #expect(try await app.send(.post, "/v1/cards", json: #"{"customerId": "c-1"}"#, token: Self.issuing.key).status == .created)
            #expect(try await app.send(.post, "/v1/detokenize", json: #"{"ns2Token": "x"}"#, token: Self.issuing.key).status == .forbidden)
        }
        #expect(throws: ClientsFileError.self) { try ClientRegistry(document: #"{"clients": "none"}"#, logger: TestDatabase.quietLogger) }
    }

    @Test func aBadFileIsRefusedAndTheLastGoodSetStays() async throws {
        let file = try ClientsFile()
        defer { file.remove() }
        try file.write(Self.scopedClients)
        let capture = LogCapture()
        let registry = try ClientRegistry(path: file.path, logger: capture.logger)
        for (text, problem) in [
            (#"{"clients": [{"id": "issuing", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:create"],}]}"#, "not valid JSON"),
            (#"{"clients": [{"id": "issuing", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:delete"]}]}"#, "scopes[0] is not a scope"),
            (#"{"clients": [{"id": "issuing", "keySha256": ["\#(Self.issuing.hash.uppercased())"], "scopes": ["cards:create"]}]}"#, "64 lowercase hexadecimal"),
            (#"{"clients": [{"id": "issuing", "key": "\#(Self.issuing.key)", "scopes": ["cards:create"]}]}"#, "unknown field \"key\""),
            (#"{"clients": []}"#, "lists no client"),
            (#"{"clients": [{"id": "a", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:read"]}, {"id": "b", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:read"]}]}"#, "also one of \"a\""),
            (#"{"clients": [{"id": "a", "keySha256": ["\#(Self.issuing.hash)"], "scopes": ["cards:read"]}, {"id": "a", "keySha256": ["\#(Self.support.hash)"], "scopes": ["cards:read"]}]}"#, "listed twice"),
        ] {
            try file.write(text)
            #expect(!registry.reload(reason: "test"), "\(problem)")
            #expect(capture.lines.last?.contains(problem) == true, "\(capture.lines.last ?? "no line")")
            // The set in force is still the last good one.
            #expect(registry.clients.authenticate(key: Self.issuing.key)?.scopes == [.cardsCreate])
            #expect(registry.clients.authenticate(key: Self.settlement.key)?.id == "settlement")
        }
        // The key that one refused file carried in clear is in no log line.
        #expect(!capture.lines.contains { $0.contains(Self.issuing.key) })
        // A refused file also stops the start-up, with its problems named.
        #expect(throws: ClientsFileError.self) { try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger) }
    }

    /// A client keeps creating cards while its key is swapped in the file under it: both keys
    /// are valid while the file lists both, and no request fails at any point.
    @Test func aKeyRotatesUnderLoadWithNoFailedRequest() async throws {
        let file = try ClientsFile()
        defer { file.remove() }
        let old = TestKey.random("old")
        let new = TestKey.random("new")
        try file.write([("issuing", [old], [.cardsCreate])])
        let registry = try ClientRegistry(path: file.path, logger: TestDatabase.quietLogger)
        try await withCardApp(clients: registry) { app in
            try await app.fill(400)
            let watcher = Task { try await ClientsFileWatcher(registry: registry, pollInterval: .milliseconds(20)).run() }
            defer { watcher.cancel() }
            let current = Current(old)
            let statuses = try await withThrowingTaskGroup(of: [HTTPResponse.Status].self) { group in
                // A step that times out still stops the load, so the group can end.
                defer { current.done = true }
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [HTTPResponse.Status] = []
                        while !current.done {
                            let key = current.take()
                            let response = try await app.send(.post, "/v1/cards", json: #"{"customerId": "r"}"#, token: key.key)
                            current.finished(key)
                            seen.append(response.status)
                        }
                        return seen
                    }
                }
                // Each step waits for requests to complete rather than for time to pass: on two
                // busy cores a fixed sleep may see no request at all.
                // Step 1: the old key alone. Step 2: both keys listed. Step 3: callers on the new key.
                // Step 4: the old key goes once no caller uses it any more, as an operator would.
                try await Self.waitFor("requests with the old key alone") { current.completed >= 4 }
                try file.write([("issuing", [old, new], [.cardsCreate])])
                try await Self.waitFor("the watcher to load both keys") { registry.clients.authenticate(key: new.key) != nil }
                let listedBoth = current.completed
                try await Self.waitFor("requests while both keys are listed") { current.completed >= listedBoth + 4 }
                current.key = new
                try await Self.waitFor("the last request with the old key") { current.inFlight(old) == 0 }
                try file.write([("issuing", [new], [.cardsCreate])])
                try await Self.waitFor("the watcher to drop the old key") { registry.clients.authenticate(key: old.key) == nil }
                let droppedOld = current.completed
                try await Self.waitFor("requests after the old key went") { current.completed >= droppedOld + 4 }
                current.done = true
                var all: [HTTPResponse.Status] = []
                for try await part in group { all += part }
                return all
            }
            #expect(statuses.count >= 16, "requests made during the rotation: \(statuses.count)")
            #expect(statuses.allSatisfy { $0 == .created }, "\(statuses.map(\.code))")
            let retired = try await app.send(.post, "/v1/cards", json: #"{"customerId": "r"}"#, token: old.key)
            #expect(retired.status == .unauthorized)
        }
    }

    /// Polls `condition` until it holds; throws after 60 s, so a stalled step fails here, named,
    /// instead of showing up as a wrong status later.
    static func waitFor(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw StepTimedOut(step: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

struct StepTimedOut: Error, CustomStringConvertible {
    let step: String
    var description: String { "waited 60 s for \(step)" }
}

/// The key the load uses now, the requests in flight with each key, the requests completed, and
/// whether to stop.
final class Current: Sendable {
    private struct State {
        var key: TestKey
        var done = false
        var inFlight: [String: Int] = [:]
        var completed = 0
    }

    private let state: Mutex<State>

    init(_ key: TestKey) { state = Mutex(State(key: key)) }

    var key: TestKey {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }

    var done: Bool {
        get { state.withLock { $0.done } }
        set { state.withLock { $0.done = newValue } }
    }

    /// The key to send now, counted in flight until `finished`.
    func take() -> TestKey {
        state.withLock { state in
            state.inFlight[state.key.key, default: 0] += 1
            return state.key
        }
    }

    func finished(_ key: TestKey) {
        state.withLock { state in
            state.inFlight[key.key, default: 0] -= 1
            state.completed += 1
        }
    }

    var completed: Int { state.withLock { $0.completed } }

    func inFlight(_ key: TestKey) -> Int {
        state.withLock { $0.inFlight[key.key, default: 0] }
    }
}
