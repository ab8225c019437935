import HTTPTypes
import Hummingbird

/// A known path with a method it does not serve is 405 with `Allow`, not 404: the caller's URL
/// is right and its method is wrong, and the answer says which methods would do.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path patterns (`{name}` matches one segment) and the methods each serves.
    let routes: [(path: String, methods: [HTTPRequest.Method])]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // Hummingbird's own "no route" only: a handler's 404 (no such card) is an APIError.
            guard let allowed = allowedMethods(for: request.uri.path) else { throw error }
            var refusal = APIError(
                .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method.rawValue) is not served here; use \(allowed.map(\.rawValue).joined(separator: ", "))")
            refusal.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
            throw refusal
        }
    }

    func allowedMethods(for path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == segments.count
                && zip(pattern, segments).allSatisfy { expected, actual in expected.hasPrefix("{") || expected == actual }
        }.flatMap(\.methods)
        return methods.isEmpty ? nil : methods
    }
}
