import HTTPTypes
import Hummingbird
import Logging
import PoolDatabase
import TOMEClient
import TOMEWire
import TokenPool

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `POST /v1/cards`, `GET /v1/cards/{cardId}` and `POST /v1/detokenize`.
struct CardRoutes {
    typealias Context = CardRequestContext

    let store: CardStore
    let pool: PoolReserver
    let audit: AuditTrail
    let limiter: RateLimiter
    let maxBodyBytes: Int
    let detokenizeFromTOME: Bool

    func add(to group: RouterGroup<Context>) {
        group.post("cards", use: create)
        group.get("cards/{cardId}", use: read)
        group.post("detokenize", use: detokenize)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> EditedResponse<Card> {
        let route = "POST /v1/cards"
        let client = try authorize(.cardsCreate, route: route, context: context)
        let body = try await decode(CreateCardRequest.self, from: request)
        let key = try idempotencyKey(request)
        do {
            let (card, created) = try await store.create(body, clientId: client.id, idempotencyKey: key)
            // On the record before the card (and its tokens) leaves: the pair as a keyed fingerprint.
            var entry = context.auditEntry(route: route, outcome: created ? .created : .replayed)
            entry.cardId = card.cardId
            entry.tokenSource = card.tokenSource
            entry.pair = card.ns1Token.map { (ns1: $0, ns2: card.ns2Token) }
            try audit.record(entry)
            return EditedResponse(status: created ? .created : .ok, response: card)
        } catch let error as DatabaseError {
            throw Self.unavailable(error, context: context)
        } catch let error as DualNamespaceError {
            // The pool was empty and the fallback to TOME failed: TOME, not the database, is down.
            context.logger.error("the pool is empty and TOME failed", metadata: ["error": "\(error)"])
            throw APIError.unavailable("no token pair available: the pool is empty and TOME is unavailable")
        }
    }

    @Sendable func read(_ request: Request, context: Context) async throws -> Card {
        let route = "GET /v1/cards/{cardId}"
        let cardId = try context.parameters.require("cardId")
        let wellFormed = cardId.utf8.count <= 64 && cardId.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
        // cards:read-any reads every card; cards:read only the client's own.
        let readsAny = context.client?.scopes.contains(.cardsReadAny) == true
        let client = try authorize(readsAny ? .cardsReadAny : .cardsRead, route: route, cardId: wellFormed ? cardId : nil, context: context)
        guard wellFormed else { throw APIError.badRequest("cardId is not a card id") }
        let found: OwnedCard?
        do {
            found = try await store.find(cardId: cardId)
        } catch let error as DatabaseError {
            try record(route, cardId: cardId, .failed, context: context)
            throw Self.unavailable(error, context: context)
        }
        guard let found else {
            try record(route, cardId: cardId, .unknown, context: context)
            throw APIError.notFound("no card with this id")
        }
        // Another client's card is answered as no card at all: a 403 would tell that it exists.
        // The record says what happened.
        guard readsAny || found.owner == client.id else {
            try record(route, cardId: cardId, .notOwner, context: context)
            throw APIError.notFound("no card with this id")
        }
        try record(route, cardId: cardId, .database, context: context)
        return client.scopes.contains(.tokensDetokenize) ? found.card : found.card.withoutInternalToken()
    }

    @Sendable func detokenize(_ request: Request, context: Context) async throws -> DetokenizeResponse {
        let route = "POST /v1/detokenize"
        _ = try authorize(.tokensDetokenize, route: route, context: context)
        let body = try await decode(DetokenizeRequest.self, from: request)
        let answer: Detokenized?
        do {
            if let found = try await pool.lookUp(ns2Token: body.ns2Token) {
                answer = found
            } else if detokenizeFromTOME {
                // A miss costs a TOME call with the app's credentials: a budget of its own.
                try admit(.tomeLookups, route: route, context: context)
                answer = try await pool.resolveInTOME(ns2Token: body.ns2Token)
            } else {
                answer = nil
            }
        } catch let error as DatabaseError {
            try record(route, reference: body.ns2Token, .failed, context: context)
            throw Self.unavailable(error, context: context)
        } catch let error as DualNamespaceError {
            try record(route, reference: body.ns2Token, .failed, context: context)
            context.logger.error("TOME detokenize failed", metadata: ["error": "\(error)"])
            throw APIError.unavailable("the reference is not in the database and TOME is unavailable")
        }
        let outcome: AuditTrail.Outcome =
            switch answer?.source {
            case .database: .database
            case .tome: .tome
            case nil: .unknown
            }
        // On the record before the token leaves: a record that cannot be written withholds it.
        try record(route, reference: body.ns2Token, outcome, context: context)
        guard let answer else {
            throw APIError.notFound(detokenizeFromTOME ? "neither the pool nor TOME knows this reference" : "this reference was not handed out here")
        }
        return DetokenizeResponse(ns1Token: answer.ns1Token, source: answer.source.rawValue)
    }

    /// The client, when it holds `scope` and is within its rate for it; a client without the
    /// scope is denied on the record, one over its rate limited on the record.
    private func authorize(_ scope: Scope, route: String, cardId: String? = nil, context: Context) throws -> APIClient {
        let client: APIClient
        do {
            client = try context.require(scope)
        } catch let error as APIError where error.status == .forbidden {
            try record(route, cardId: cardId, .denied, context: context)
            throw error
        }
        try admit(.scope(scope), route: route, cardId: cardId, context: context)
        return client
    }

    /// Takes a call from the client's budget, or answers 429 with `Retry-After`, on the record.
    private func admit(_ budget: Budget, route: String, cardId: String? = nil, context: Context) throws {
        guard let client = context.client, let wait = limiter.admit(client: client.id, budget: budget, limit: client.limit(budget)) else {
            return
        }
        var entry = context.auditEntry(route: route, outcome: .limited)
        entry.cardId = cardId
        entry.detail = budget.name
        try audit.record(entry)
        throw APIError.rateLimited(budget, retryAfter: wait)
    }

    /// One audit record about this request.
    private func record(
        _ route: String, cardId: String? = nil, reference: String? = nil, _ outcome: AuditTrail.Outcome, context: Context
    ) throws(APIError) {
        var entry = context.auditEntry(route: route, outcome: outcome)
        entry.cardId = cardId
        entry.reference = reference
        try audit.record(entry)
    }

    /// Reads at most `maxBodyBytes` and decodes JSON, with a 400 that says what is wrong.
    private func decode<Body: Decodable>(_ type: Body.Type, from request: Request) async throws -> Body {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBodyBytes)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the body is larger than \(maxBodyBytes) bytes")
        }
        // Foundation's decoder would also take trailing commas; bodies are strict JSON.
        guard StrictJSON.isValid(buffer.readableBytesView) else {
            throw APIError.badRequest("the body is not valid JSON")
        }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let DecodingError.dataCorrupted(context) where context.underlyingError is APIError {
            throw context.underlyingError as! APIError
        } catch {
            throw APIError.badRequest("the body is not a JSON object of the expected shape")
        }
    }

    private func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F }) else {
            throw APIError.badRequest("Idempotency-Key must be 1 to 255 printable ASCII characters")
        }
        return key
    }

    /// The database failed: 503, so clients retry, with the cause logged.
    static func unavailable(_ error: DatabaseError, context: Context) -> APIError {
        context.logger.error("database failure", metadata: ["error": "\(error)"])
        return APIError.unavailable("the card database is unavailable")
    }
}
