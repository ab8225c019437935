import HTTPTypes
import Hummingbird

/// Records where a request came from, for the audit trail: the peer's address, or the client's
/// from `X-Forwarded-For` when the peer is a trusted proxy (the load balancer).
struct SourceAddressMiddleware: RouterMiddleware {
    typealias Context = CardRequestContext

    let trustedProxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let forwardedFor = request.headers[HTTPField.Name("X-Forwarded-For")!]
        context.sourceAddress = trustedProxies.clientAddress(peer: context.peerAddress, forwardedFor: forwardedFor)
        return try await next(request, context)
    }
}
