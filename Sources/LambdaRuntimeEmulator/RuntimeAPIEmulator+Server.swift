import HTTPTypes
import Hummingbird
public import Logging
import NIOCore

extension RuntimeAPIEmulator {
    /// Serves the emulator on a free loopback port and runs `body` with its `host:port`
    /// (the value of `AWS_LAMBDA_RUNTIME_API`).
    public func withServer<Result: Sendable>(
        logger: Logger = Logger(label: "runtime.emulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (String) async throws -> Result
    ) async throws -> Result {
        try await withLoopbackServer(EmulatorResponder(emulator: self), logger: logger) { port in
            try await body("127.0.0.1:\(port)")
        }
    }
}

struct EmulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let emulator: RuntimeAPIEmulator

    func respond(to request: Request, context: Context) async throws -> Response {
        let parts = request.uri.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else {
            return Self.json(404, #"{"errorMessage":"not found","errorType":"NotFound"}"#)
        }
        let path = Array(parts.dropFirst(2))
        if request.method == .get && path == ["invocation", "next"] {
            switch await emulator.next() {
            case .status(let status):
                return Self.json(status, #"{"errorMessage":"injected failure","errorType":"ServiceException"}"#)
            case .event(let pending):
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(bytes: pending.event)))
                response.headers[.contentType] = "application/json"
                response.headers[HTTPField.Name("Lambda-Runtime-Aws-Request-Id")!] = pending.requestId
                response.headers[HTTPField.Name("Lambda-Runtime-Deadline-Ms")!] = String(pending.deadlineMs)
                response.headers[HTTPField.Name("Lambda-Runtime-Invoked-Function-Arn")!] = "arn:aws:lambda:local:000000000000:function:tome-prefetch"
                response.headers[HTTPField.Name("Lambda-Runtime-Trace-Id")!] = pending.traceId
                return response
            }
        }
        guard request.method == .post else {
            return Self.json(405, #"{"errorMessage":"method not allowed","errorType":"MethodNotAllowed"}"#)
        }
        if path.count == 3 && path[0] == "invocation" && path[2] == "response" {
            var request = request
            guard let body = try? await request.collectBody(upTo: RuntimeAPIEmulator.maxResponseBytes) else {
                return Self.json(413, #"{"errorMessage":"payload too large","errorType":"RequestEntityTooLarge"}"#)
            }
            return accept(.response(String(buffer: body)), requestId: path[1])
        }
        if path.count == 3 && path[0] == "invocation" && path[2] == "error" {
            return accept(try await errorAnswer(request), requestId: path[1])
        }
        if path == ["init", "error"] {
            emulator.recordInitError(try await errorAnswer(request))
            return Self.json(202, #"{"status":"OK"}"#)
        }
        return Self.json(404, #"{"errorMessage":"not found","errorType":"NotFound"}"#)
    }

    private func accept(_ answer: RuntimeAPIEmulator.Answer, requestId: String) -> Response {
        guard emulator.record(answer, for: requestId) else {
            return Self.json(400, #"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#)
        }
        return Self.json(202, #"{"status":"OK"}"#)
    }

    private func errorAnswer(_ request: Request) async throws -> RuntimeAPIEmulator.Answer {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        return .error(
            errorType: request.headers[HTTPField.Name("Lambda-Runtime-Function-Error-Type")!],
            contentType: request.headers[.contentType],
            body: String(buffer: body)
        )
    }

    static func json(_ status: Int, _ body: String) -> Response {
        Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
