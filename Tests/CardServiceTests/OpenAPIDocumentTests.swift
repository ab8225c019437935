import CardService
import TestSupport
import Foundation
import Hummingbird
import PostgresNIO
import Testing
import TOMEClient
import TokenPool

/// `docs/card-app.openapi.json` must describe exactly the routes the router serves.
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    @Test func describesEveryRouteTheRouterServesAndNoOther() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("docs/card-app.openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys { documented.insert("\(method.uppercased()) \(path)") }
        }

        let served = try await servedRoutes()
        #expect(documented == served)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let card = try #require(schemas["Card"] as? [String: Any])
        // ns1Token is left out of a read for a client that may not detokenize.
        #expect(Set(card["required"] as? [String] ?? []) == ["cardId", "customerId", "ns2Token", "tokenSource", "createdAt"])
        #expect((card["properties"] as? [String: Any])?["ns1Token"] != nil)
    }
}
