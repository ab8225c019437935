@testable import CardService
import Foundation
import HTTPTypes
import TestSupport
import Testing

/// `/metrics` behind its own credential, and readiness answered from a recent result.
@Suite("card-app operations endpoints")
struct OperationsEndpointTests {
    @Test func metricsNeedTheirTokenWhenOneIsSet() async throws {
        let token = "metrics-token-0123456789"
        try await withCardApp(metricsToken: token) { app in
            #expect(try await app.send(.get, "/metrics", token: nil).status == .unauthorized)
            #expect(try await app.send(.get, "/metrics", token: "metrics-token-wrong-0000").status == .unauthorized)
            // A client's key is not the metrics token.
            #expect(try await app.send(.get, "/metrics", token: testToken).status == .unauthorized)
            let scrape = try await app.send(.get, "/metrics", token: token)
            #expect(scrape.status == .ok && scrape.text.contains("http_server_request_duration"))
            // Health stays open: a load balancer has no credential.
            #expect(try await app.send(.get, "/health/ready", token: nil).status == .ok)
        }
    }
}
