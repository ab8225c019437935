public import Hummingbird

/// A request's context: Hummingbird's, plus the client its bearer key belongs to.
public struct CardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `ClientAuthMiddleware` on `/v1` routes.
    public var client: APIClient?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// The client, when it holds `scope`: otherwise 403 naming the scope it lacks (401 when
    /// no client was authenticated, which the middleware already answers).
    func require(_ scope: Scope) throws -> APIClient {
        guard let client else { throw APIError.unauthorized }
        guard client.scopes.contains(scope) else { throw APIError.forbidden(missing: scope) }
        return client
    }
}
