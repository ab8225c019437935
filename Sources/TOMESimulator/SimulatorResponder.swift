import Hummingbird
import Logging
import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Routes every request by hand, so that a wrong method is a 405 and an unknown path a 404,
/// both with the contract's JSON error body.
struct SimulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    let vault: TokenVault
    let faults: FaultInjector
    let configuration: SimulatedTOME.Configuration

    /// Bodies above this are refused with 413; a full batch of long values fits well below it.
    static let maxBodyBytes = 4 << 20

    func respond(to request: Request, context: Context) async throws -> Response {
        let parts = request.uri.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 3 where parts[0] == "v1" && parts[1] == "namespaces":
            return try await serveV1(request, namespace: parts[2], operation: .info)
        case 4 where parts[0] == "v1" && parts[1] == "namespaces":
            guard let operation = TOMEOperation(pathAction: parts[3]) else { return Self.notFound }
            return try await serveV1(request, namespace: parts[2], operation: operation)
        case 2 where parts[0] == "admin":
            return try await serveAdmin(request, action: parts[1])
        default:
            return Self.notFound
        }
    }

    private func serveV1(_ request: Request, namespace: String, operation: TOMEOperation) async throws -> Response {
        guard request.method.rawValue == operation.httpMethod else {
            return Self.methodNotAllowed(allow: operation.httpMethod)
        }
        if let expected = configuration.authToken, request.headers[.authorization] != "Bearer \(expected)" {
            return Self.error(401, "unauthenticated", "a valid bearer token is required")
        }
        guard vault.exists(namespace) else {
            return Self.error(404, "namespace_not_found", "namespace \(namespace.prefix(64)) does not exist")
        }
        vault.countCall(namespace, operation)
        let decision = faults.decide(namespace: namespace, operation: operation)
        if decision.delay > .zero { try await Task.sleep(for: decision.delay) }
        if let status = decision.rejectStatus {
            return Self.injectedError(status, retryAfterSeconds: decision.retryAfterSeconds)
        }
        let answer: Response
        switch await Self.readBody(request, required: operation != .info) {
        case .failure(let refusal):
            return Self.error(refusal.status, refusal.code, refusal.message)
        case .success(let body):
            answer = serve(operation, namespace: namespace, body: body, fault: decision.fault)
        }
        if decision.fault == .hang {
            // The call was carried out; only its answer is late, as when a network path stalls.
            try await Task.sleep(for: .milliseconds(faults.settings.hangMs))
        }
        return answer
    }

    private func serve(_ operation: TOMEOperation, namespace: String, body: ByteBuffer, fault: InjectedFault?) -> Response {
        do {
            switch operation {
            case .issue:
                let request = try decode(IssueTokensRequest.self, body)
                try checkCount(request.count, field: "count")
                guard !request.requestId.isEmpty else { throw refusal(400, "invalid_request_id", "requestId must not be empty") }
                var tokens = try vault.issue(namespace: namespace, count: request.count, requestId: request.requestId)
                Spoiler.spoil(&tokens, with: fault)
                return Self.json(IssueTokensResponse(tokens: tokens), spoiled: fault)
            case .tokenize:
                let request = try decode(TokenizeRequest.self, body)
                try checkCount(request.values.count, field: "values")
                guard !request.values.contains(where: \.isEmpty) else {
                    throw refusal(400, "invalid_value", "values must not contain an empty string")
                }
                var mappings = vault.tokenize(namespace: namespace, values: request.values)
                Spoiler.spoil(&mappings, with: fault)
                return Self.json(TokenizeResponse(tokens: mappings), spoiled: fault)
            case .detokenize:
                let request = try decode(DetokenizeRequest.self, body)
                try checkCount(request.tokens.count, field: "tokens")
                var answer = vault.detokenize(namespace: namespace, tokens: request.tokens)
                Spoiler.spoil(&answer, with: fault)
                return Self.json(answer, spoiled: fault)
            case .info:
                let info = NamespaceInfo(name: namespace, exists: true, maxBatchSize: configuration.maxBatchSize)
                return Self.json(info, spoiled: fault)
            }
        } catch let refusal as TokenVault.Refusal {
            return Self.error(refusal.status, refusal.code, refusal.message)
        } catch {
            return Self.error(500, "internal", "the simulator failed to serve the call")
        }
    }

    private func decode<Body: Decodable>(_ type: Body.Type, _ body: ByteBuffer) throws(TokenVault.Refusal) -> Body {
        do {
            return try JSONDecoder().decode(type, from: Data(body.readableBytesView))
        } catch {
            throw refusal(400, "invalid_json", "the body is not a valid \(type) JSON document")
        }
    }

    private func checkCount(_ count: Int, field: String) throws(TokenVault.Refusal) {
        guard count >= 1 else { throw refusal(400, "invalid_count", "\(field) must ask for at least 1") }
        guard count <= configuration.maxBatchSize else {
            throw refusal(400, "batch_too_large", "\(field) asks for \(count), the maximum batch size is \(configuration.maxBatchSize)")
        }
    }

    private func refusal(_ status: Int, _ code: String, _ message: String) -> TokenVault.Refusal {
        TokenVault.Refusal(status: status, code: code, message: message)
    }

    static func readBody(_ request: Request, required: Bool) async -> Result<ByteBuffer, TokenVault.Refusal> {
        do {
            var request = request
            let body = try await request.collectBody(upTo: maxBodyBytes)
            if required && body.readableBytes == 0 {
                return .failure(.init(status: 400, code: "invalid_json", message: "the request needs a JSON body"))
            }
            return .success(body)
        } catch {
            return .failure(.init(status: 413, code: "body_too_large", message: "the body is larger than \(maxBodyBytes) bytes"))
        }
    }
}
