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

        // The router is only built, never run: nothing connects anywhere.
        let database = PostgresClient(
            configuration: try TestDatabase.baseConfiguration().makeClientConfiguration(), backgroundLogger: TestDatabase.quietLogger
        )
        let served = try await HTTPTOMEClient.withClient(configuration: .init(baseURL: "http://127.0.0.1:1")) { tome in
            let router = CardService.makeRouter(
                configuration: .init(clients: ClientRegistry(token: testToken, logger: TestDatabase.quietLogger)), database: database,
                pool: TokenPool(database: database, dual: DualNamespaceClient(tome: tome)), registry: testRegistry,
                logger: TestDatabase.quietLogger
            )
            return Set(router.routes.map { route in
                let path = route.path.description.split(separator: "/").map { component in
                    component.hasPrefix(":") ? "{\(component.dropFirst())}" : String(component)
                }
                return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
            })
        }
        #expect(documented == served)
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let card = try #require(schemas["Card"] as? [String: Any])
        #expect(Set(card["required"] as? [String] ?? []) == ["cardId", "customerId", "ns1Token", "ns2Token", "tokenSource", "createdAt"])
    }
}
