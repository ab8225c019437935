import Hummingbird
import Logging

/// Turns every error that is not already an HTTP answer into a logged 500 with no internals in
/// the body, and gives Hummingbird's own errors (404, 413, …) the same JSON shape as ours.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as HTTPError {
            throw APIError(error.status, code: Self.code(for: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch {
            context.logger.error(
                "request failed",
                metadata: ["error.type": "\(type(of: error))", "error": "\(error)", "http.route": "\(context.endpointPath ?? "unknown")"]
            )
            throw APIError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "invalid_request"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 413: "body_too_large"
        case 415: "unsupported_media_type"
        default: "error"
        }
    }
}
