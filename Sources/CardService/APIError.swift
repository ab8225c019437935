public import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An error the card app answers with: a status, a stable code and a message for the caller.
/// The body never carries a token, a stack or an internal detail.
public struct APIError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: .init(code: code, message: message))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }

        var error: Detail
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(.badRequest, code: "invalid_request", message: message)
    }

    static let unauthorized: APIError = {
        var error = APIError(.unauthorized, code: "unauthorized", message: "a valid bearer token is required")
        error.headers[.wwwAuthenticate] = "Bearer"
        return error
    }()

    static func forbidden(missing scope: Scope) -> APIError {
        APIError(.forbidden, code: "forbidden", message: "this client lacks the scope \(scope.rawValue)")
    }

    static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    static func unavailable(_ message: String, retryAfterSeconds: Int = 1) -> APIError {
        var error = APIError(.serviceUnavailable, code: "unavailable", message: message)
        error.headers[.retryAfter] = String(retryAfterSeconds)
        return error
    }

    static func rateLimited(_ budget: Budget, retryAfter: Duration) -> APIError {
        let seconds = max(1, Int(retryAfter.components.seconds) + (retryAfter.components.attoseconds > 0 ? 1 : 0))
        var error = APIError(
            .tooManyRequests, code: "rate_limited", message: "this client is over its rate for \(budget.name); retry after \(seconds) s"
        )
        error.headers[.retryAfter] = String(seconds)
        return error
    }

    /// An audit record could not be written, so nothing is answered.
    static var auditUnavailable: APIError { unavailable("the audit trail cannot be written, so nothing is answered; retry") }
}
