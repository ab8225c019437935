import Hummingbird

/// Requires `Authorization: Bearer <key>` of a known client (`ClientSet.authenticate`, constant
/// time) and records the client in the context; which scope a route needs is the route's check.
/// A refused key is an invalid access attempt, on the audit trail before the 401 leaves.
struct ClientAuthMiddleware: RouterMiddleware {
    typealias Context = CardRequestContext

    let registry: ClientRegistry
    let audit: AuditTrail

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let client = registry.clients.authenticate(key: String(header.dropFirst(7)))
        else {
            try audit.record(context.auditEntry(route: "\(request.method.rawValue) \(context.routePattern)", outcome: .unauthenticated))
            throw APIError.unauthorized
        }
        var context = context
        context.client = client
        context.caller.clientId = client.id
        return try await next(request, context)
    }
}
