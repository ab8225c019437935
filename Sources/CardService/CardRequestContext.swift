public import Hummingbird
import Synchronization

/// A request's context: Hummingbird's, plus the client its bearer key belongs to.
public struct CardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `ClientAuthMiddleware` on `/v1` routes.
    public var client: APIClient?
    /// The address of the connection's other end (a load balancer, or the client itself).
    let peerAddress: String?
    /// Where the request came from, for the audit trail (`SourceAddressMiddleware`).
    var sourceAddress: String?
    /// The same for the middleware outside it (the access log), which holds an earlier copy of
    /// the context: a box every copy of this request's context shares.
    let caller = Caller()

    public init(source: Source) {
        coreContext = .init(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The client, when it holds `scope`: otherwise 403 naming the scope it lacks (401 when
    /// no client was authenticated, which the middleware already answers).
    func require(_ scope: Scope) throws -> APIClient {
        guard let client else { throw APIError.unauthorized }
        guard client.scopes.contains(scope) else { throw APIError.forbidden(missing: scope) }
        return client
    }

    /// The route's pattern (`/v1/cards/{cardId}`), never the path, which is whatever the caller
    /// sent; "unmatched" when no route matched (Hummingbird's "NotFound" read oddly beside a 405).
    var routePattern: String {
        endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
    }
}

/// Who the request turned out to be from, shared by every copy of one request's context.
final class Caller: Sendable {
    private let id = Mutex<String?>(nil)

    var clientId: String? {
        get { id.withLock { $0 } }
        set { id.withLock { $0 = newValue } }
    }
}
