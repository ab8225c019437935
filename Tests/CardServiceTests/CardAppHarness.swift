import CardService
import TestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import PostgresNIO
import Prometheus
import Synchronization
import Testing
import TOMEClient
import TOMESimulator
import TokenPool

/// One registry for the test process: swift-metrics can be bootstrapped only once.
let testRegistry: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

let testToken = "test-token-0123456789abcdef"

/// Lines a record stream would have written, kept for the test to read; `failing` refuses them.
final class CapturedLines: LineSink {
    private let state = Mutex<(lines: [String], failing: Bool)>(([], false))

    var lines: [String] { state.withLock { $0.lines } }

    var failing: Bool {
        get { state.withLock { $0.failing } }
        set { state.withLock { $0.failing = newValue } }
    }

    func write(line: String) throws {
        try state.withLock { state in
            if state.failing { throw LineSinkError(code: 28) }
            state.lines.append(line)
        }
    }

    /// Each line as a JSON object.
    func records() throws -> [[String: Any]] {
        try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// The audit records about requests (those with a route), without the chain's start and the
    /// clients in force.
    func requestRecords() throws -> [[String: Any]] {
        try records().filter { $0["route"] != nil }
    }
}

struct CardAppHarness: Sendable {
    let client: any TestClientProtocol
    let audit: CapturedLines
    let accessLog: CapturedLines
    let database: PostgresClient
    let simulator: RunningSimulator
    let dual: DualNamespaceClient

    /// TOME answers 503 to every call, with no wait asked before a retry: TOME is down.
    func takeTOMEDown() throws {
        var faults = FaultSettings()
        faults.errorRates = ["503": 1]
        faults.retryAfterSeconds = 0
        try simulator.simulator.setFaults(faults)
    }

    func send(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, token: String? = testToken, headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    func fill(_ count: Int) async throws {
        let pairs = try await dual.mintPairs(count: count, requestId: "fill-\(UInt32.random(in: 0...UInt32.max))")
        try await database.query(
            """
            INSERT INTO token_pool (ns1_token, ns2_token, run_id, batch_no)
            SELECT a, b, 'test-run', 0 FROM UNNEST(\(pairs.map(\.ns1Token))::TEXT[], \(pairs.map(\.ns2Token))::TEXT[]) AS p (a, b)
            """
        )
    }
}

func withCardApp<Result: Sendable>(
    tokenSource: CardApplication.Configuration.TokenSource = .pool,
    clients: ClientRegistry = ClientRegistry(token: testToken, logger: TestDatabase.quietLogger),
    trustedProxies: TrustedProxies = .none,
    detokenizeFromTOME: Bool = true,
    limits: ServerLimits = ServerLimits(),
    metricsToken: String? = nil,
    _ body: @Sendable (CardAppHarness) async throws -> Result
) async throws -> Result {
    _ = testRegistry
    return try await TestDatabase.withIsolatedSchema { _, database in
        try await SimulatedTOME.withRunning { running in
            try await HTTPTOMEClient.withClient(configuration: .init(baseURL: running.url)) { tome in
                let dual = DualNamespaceClient(tome: tome)
                let pool = PoolReserver(database: database, dual: dual)
                let audit = CapturedLines()
                let accessLog = CapturedLines()
                var configuration = CardApplication.Configuration(clients: clients, tokenSource: tokenSource)
                configuration.auditSink = audit
                configuration.accessLog = accessLog
                configuration.trustedProxies = trustedProxies
                configuration.detokenizeFromTOME = detokenizeFromTOME
                configuration.metricsToken = metricsToken
                let router = CardApplication.makeRouter(
                    configuration: configuration, database: database, pool: pool, registry: testRegistry, logger: TestDatabase.quietLogger
                )
                let app = Application(
                    router: router, server: limits.server,
                    configuration: limits.configuration(address: .hostname("127.0.0.1", port: 0), serverName: "card-app")
                )
                return try await app.test(.live) { client in
                    try await body(
                        CardAppHarness(client: client, audit: audit, accessLog: accessLog, database: database, simulator: running, dual: dual))
                }
            }
        }
    }
}

struct ErrorBody: Decodable {
    struct Detail: Decodable {
        var code: String
        var message: String
    }

    var error: Detail
}

extension Card {
    /// The internal token, which a creation always answers with: the test fails where it is missing.
    var createdNS1Token: String {
        get throws { try #require(ns1Token) }
    }
}

extension TestResponse {
    func decode<Body: Decodable>(_ type: Body.Type) throws -> Body {
        try JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }

    /// The card in the body, read as the API's own type reads it (`createdAt` in ISO 8601).
    func decodeCard() throws -> Card {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Card.self, from: Data(body.readableBytesView))
    }

    var text: String { String(buffer: body) }
}

/// Every "METHOD /path/{param}" the card app's router serves. The router is only built, never
/// run: nothing connects anywhere.
func servedRoutes() async throws -> Set<String> {
    let database = PostgresClient(
        configuration: try TestDatabase.baseConfiguration().makeClientConfiguration(), backgroundLogger: TestDatabase.quietLogger
    )
    return try await HTTPTOMEClient.withClient(configuration: .init(baseURL: "http://127.0.0.1:1")) { tome in
        let router = CardApplication.makeRouter(
            configuration: .init(clients: ClientRegistry(token: testToken, logger: TestDatabase.quietLogger)), database: database,
            pool: PoolReserver(database: database, dual: DualNamespaceClient(tome: tome)), registry: testRegistry,
            logger: TestDatabase.quietLogger
        )
        return Set(router.routes.map { route in
            let path = route.path.description.split(separator: "/").map { component in
                component.hasPrefix(":") ? "{\(component.dropFirst())}" : String(component)
            }
            return "\(route.method.rawValue) /\(path.joined(separator: "/"))"
        })
    }
}
