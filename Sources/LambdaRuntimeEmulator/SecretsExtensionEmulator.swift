import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS Parameters and Secrets Lambda Extension's local HTTP interface, for tests: Secrets
/// Manager secrets at `GET /secretsmanager/get?secretId=…`, SSM parameters at
/// `GET /systemsmanager/parameters/get?name=…&withDecryption=true`, each request authenticated
/// by `X-Aws-Parameters-Secrets-Token`. Values can be changed while it serves, as a rotation would.
public final class SecretsExtensionEmulator: Sendable {
    /// The token requests must carry (the function's `AWS_SESSION_TOKEN`).
    public let sessionToken: String
    private let values = Mutex<[String: String]>([:])
    private let reads = Mutex<[String: Int]>([:])

    public init(sessionToken: String = "session-token-for-tests") {
        self.sessionToken = sessionToken
    }

    /// Sets (or rotates) the value of a secret ARN or parameter name.
    public func set(_ value: String, for id: String) {
        values.withLock { $0[id] = value }
    }

    /// How many times a secret was read.
    public func readCount(of id: String) -> Int {
        reads.withLock { $0[id, default: 0] }
    }

    func answer(path: String, query: [String: String], token: String?) -> (Int, String) {
        guard token == sessionToken else { return (401, #"{"message":"missing or wrong X-Aws-Parameters-Secrets-Token"}"#) }
        let id: String?
        switch path {
        case "/secretsmanager/get": id = query["secretId"]
        case "/systemsmanager/parameters/get" where query["withDecryption"] == "true": id = query["name"]
        default: return (404, #"{"message":"not found"}"#)
        }
        guard let id, let value = values.withLock({ $0[id] }) else { return (400, #"{"message":"ResourceNotFoundException"}"#) }
        reads.withLock { $0[id, default: 0] += 1 }
        let encoded = String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
        let name = String(decoding: (try? JSONEncoder().encode(id)) ?? Data(), as: UTF8.self)
        if path == "/secretsmanager/get" {
            return (200, #"{"ARN":\#(name),"Name":\#(name),"SecretString":\#(encoded),"VersionId":"v1","VersionStages":["AWSCURRENT"]}"#)
        }
        return (200, #"{"Parameter":{"Name":\#(name),"Type":"SecureString","Value":\#(encoded),"Version":1},"ResultMetadata":{}}"#)
    }

    /// Serves on a free loopback port and runs `body` with that port.
    public func withServer<Result: Sendable>(
        logger: Logger = Logger(label: "secrets.emulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (Int) async throws -> Result
    ) async throws -> Result {
        try await withLoopbackServer(SecretsResponder(emulator: self), logger: logger, body)
    }
}

struct SecretsResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let emulator: SecretsExtensionEmulator

    func respond(to request: Request, context: Context) async throws -> Response {
        var query: [String: String] = [:]
        for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
        let token = request.headers[HTTPField.Name("X-Aws-Parameters-Secrets-Token")!]
        let (status, body) = emulator.answer(path: request.uri.path, query: query, token: token)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
