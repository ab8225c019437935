import Crypto
public import Hummingbird

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A card as the API returns it.
public struct Card: ResponseCodable, Sendable, Equatable {
    public var cardId: String
    public var customerId: String
    /// The internal token: always to the client that creates the card (it made it), on a read
    /// only to a client that may also detokenize; absent from the JSON otherwise.
    public var ns1Token: String?
    public var ns2Token: String
    /// `pool` when the pair came from the pre-fetched pool, `tome` when it was minted on the spot.
    public var tokenSource: String
    public var createdAt: Date
}

extension Card {
    /// The card as a reader without `tokens:detokenize` sees it: no internal token.
    func withoutInternalToken() -> Card {
        var card = self
        card.ns1Token = nil
        return card
    }
}

/// A card and the client that created it: nil for cards made before cards recorded their client.
struct OwnedCard: Sendable {
    var card: Card
    var owner: String?
}

/// `POST /v1/cards`.
struct CreateCardRequest: Decodable, Equatable {
    var customerId: String

    static let maxCustomerIdLength = 64

    /// Unknown fields are refused: a misspelt field would otherwise be dropped without a word.
    init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = all.allKeys.first(where: { $0.stringValue != "customerId" }) {
            throw APIError.badRequest("unknown field \"\(unknown.stringValue.prefix(40))\"; a card takes only customerId")
        }
        guard all.contains(AnyKey(stringValue: "customerId")) else {
            throw APIError.badRequest("customerId is required")
        }
        guard let customerId = try? all.decode(String.self, forKey: AnyKey(stringValue: "customerId")) else {
            throw APIError.badRequest("customerId must be a string")
        }
        try Self.validate(customerId)
        self.customerId = customerId
    }

    init(customerId: String) {
        self.customerId = customerId
    }

    /// 1 to 64 characters from `A-Z a-z 0-9 . _ : -`: an identifier, not free text.
    static func validate(_ customerId: String) throws(APIError) {
        guard !customerId.isEmpty, customerId.unicodeScalars.count <= maxCustomerIdLength else {
            throw APIError.badRequest("customerId must be 1 to \(maxCustomerIdLength) characters")
        }
        let allowed = customerId.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || ".-_:".unicodeScalars.contains(scalar))
        }
        guard allowed else {
            throw APIError.badRequest("customerId may use only letters, digits, '.', '_', ':' and '-'")
        }
    }

    /// The request's SHA-256, stored with its Idempotency-Key: a replay with another body is
    /// told apart, and no two bodies can be made to collide.
    var fingerprint: String {
        "sha256:" + ClientSet.hexString(SHA256.hash(data: Array("customerId=\(customerId)".utf8)))
    }
}

/// `POST /v1/detokenize`.
struct DetokenizeRequest: Decodable {
    var ns2Token: String

    init(from decoder: any Decoder) throws {
        let all = try decoder.container(keyedBy: AnyKey.self)
        if let unknown = all.allKeys.first(where: { $0.stringValue != "ns2Token" }) {
            throw APIError.badRequest("unknown field \"\(unknown.stringValue.prefix(40))\"; detokenize takes only ns2Token")
        }
        guard let token = try? all.decode(String.self, forKey: AnyKey(stringValue: "ns2Token")) else {
            throw APIError.badRequest("ns2Token is required and must be a string")
        }
        // What the OpenAPI document says, exactly: a reference is printable ASCII (as NS2 tokens are).
        guard (1...256).contains(token.utf8.count), token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIError.badRequest("ns2Token must be 1 to 256 printable ASCII characters, no spaces")
        }
        ns2Token = token
    }
}

/// `{"ns1Token", "source"}`.
struct DetokenizeResponse: ResponseEncodable {
    var ns1Token: String
    var source: String
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
