import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The AWS Lambda Runtime API (2018-06-01): next, response, error and init error.
public struct RuntimeAPIClient: LambdaRuntimeClient {
    let base: String
    let http: HTTPClient
    /// Answers larger than this are refused by Lambda (413); the run loop checks too, for a clear log.
    public static let maxResponseBytes = 6 * 1024 * 1024

    /// `endpoint` is `AWS_LAMBDA_RUNTIME_API` (host:port). Calls go through the process-wide
    /// HTTP client, which needs no shutdown, so no path out of the loop can leak it.
    public init(endpoint: String) {
        self.init(endpoint: endpoint, http: .shared)
    }

    init(endpoint: String, http: HTTPClient) {
        base = "http://\(endpoint)/2018-06-01/runtime"
        self.http = http
    }

    /// Waits for the next event. No timeout: Lambda freezes the process between events.
    public func next() async throws(RuntimeAPIError) -> LambdaInvocation {
        let request = HTTPClientRequest(url: "\(base)/invocation/next")
        let (status, headers, body) = try await send(request, deadline: .distantFuture, what: "next")
        guard status == 200 else { throw .status(status, call: "next", body: body) }
        guard let requestId = headers.first(name: "Lambda-Runtime-Aws-Request-Id"), !requestId.isEmpty else {
            throw .status(status, call: "next", body: Array("no Lambda-Runtime-Aws-Request-Id header".utf8))
        }
        let deadline = headers.first(name: "Lambda-Runtime-Deadline-Ms").flatMap(Int64.init).map(Self.instant(fromEpochMilliseconds:))
        return LambdaInvocation(
            requestId: requestId,
            deadline: deadline ?? .now + .seconds(900),
            invokedFunctionArn: headers.first(name: "Lambda-Runtime-Invoked-Function-Arn"),
            traceId: headers.first(name: "Lambda-Runtime-Trace-Id"),
            event: body
        )
    }

    public func respond(requestId: String, body: [UInt8]) async throws(RuntimeAPIError) {
        var request = HTTPClientRequest(url: "\(base)/invocation/\(requestId)/response")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        try await post(request, what: "response")
    }

    public func reportError(requestId: String, _ report: LambdaErrorReport) async throws(RuntimeAPIError) {
        try await post(errorRequest(url: "\(base)/invocation/\(requestId)/error", report), what: "error")
    }

    public func reportInitError(_ report: LambdaErrorReport) async throws(RuntimeAPIError) {
        try await post(errorRequest(url: "\(base)/init/error", report), what: "init error")
    }

    private func errorRequest(url: String, _ report: LambdaErrorReport) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/vnd.aws.lambda.error+json")
        request.headers.add(name: "Lambda-Runtime-Function-Error-Type", value: report.errorType)
        let body = (try? JSONEncoder().encode(report)) ?? Data(#"{"errorMessage":"unencodable error","errorType":"Runtime.Unknown"}"#.utf8)
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    private func post(_ request: HTTPClientRequest, what: String) async throws(RuntimeAPIError) {
        let (status, _, body) = try await send(request, deadline: .now() + .seconds(30), what: what)
        guard status == 202 else { throw .status(status, call: what, body: body) }
    }

    private func send(_ request: HTTPClientRequest, deadline: NIODeadline, what: String) async throws(RuntimeAPIError) -> (Int, HTTPHeaders, [UInt8]) {
        do {
            let response = try await http.execute(request, deadline: deadline)
            let body = try await response.body.collect(upTo: 8 * 1024 * 1024)
            return (Int(response.status.code), response.headers, Array(body.readableBytesView))
        } catch {
            throw .noAnswer(call: what, detail: "\(error)")
        }
    }

    /// Lambda gives the deadline in milliseconds since the epoch; the job plans on a monotonic clock.
    static func instant(fromEpochMilliseconds deadline: Int64) -> ContinuousClock.Instant {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let nowMilliseconds = Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        return .now + .milliseconds(deadline - nowMilliseconds)
    }
}

/// A call to the Runtime API failed. 500 means the runtime must exit; 400/403/413 are logged and the loop goes on.
public struct RuntimeAPIError: Error, Sendable, CustomStringConvertible {
    public let call: String
    public let status: Int?
    let body: [UInt8]

    /// The Runtime API answered `status` to `call` (`next`, `response`, `error`, `init error`).
    public static func status(_ status: Int, call: String, body: [UInt8] = []) -> RuntimeAPIError {
        RuntimeAPIError(call: call, status: status, body: body)
    }

    /// The Runtime API did not answer `call`; `detail` says what happened instead.
    public static func noAnswer(call: String, detail: String) -> RuntimeAPIError {
        RuntimeAPIError(call: call, status: nil, body: Array(detail.utf8))
    }

    /// A 500 (container error) or no answer at all: Lambda expects the runtime to exit.
    public var isFatal: Bool { status == nil || status == 500 }

    public var description: String {
        let detail = String(decoding: body.prefix(300), as: UTF8.self)
        let meaning: String =
            switch status {
            case 400: "bad request"
            case 403: "forbidden (request id unknown or already answered)"
            case 413: "payload too large (Lambda allows 6 MB)"
            case 500: "container error: the runtime must exit"
            case nil: "no answer"
            default: "unexpected status"
            }
        return "Runtime API \(call) failed with \(status.map { "HTTP \($0)" } ?? "no answer") (\(meaning)): \(detail)"
    }
}
