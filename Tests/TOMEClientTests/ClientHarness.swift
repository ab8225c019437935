import AsyncHTTPClient
import Logging
import NIOCore
import TOMEClient
import TOMESimulator

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Fast retries, so fault tests spend their time on behaviour rather than on backoff.
let quickRetry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(5), maxDelay: .milliseconds(20), maxRetryAfter: .seconds(2))

/// Starts an in-process simulator and a client pointed at it, over real HTTP on loopback.
func withSimulatorAndClient<Result: Sendable>(
    simulator configuration: SimulatedTOME.Configuration = .init(),
    retry: RetryPolicy = quickRetry,
    requestTimeout: Duration = .seconds(5),
    authToken: String? = nil,
    logger: Logger = HTTPTOMEClient.disabledLogger,
    _ body: @Sendable (RunningSimulator, HTTPTOMEClient) async throws -> Result
) async throws -> Result {
    try await SimulatedTOME.withRunning(configuration: configuration) { running in
        let clientConfiguration = HTTPTOMEClient.Configuration(
            baseURL: running.url,
            authToken: authToken ?? configuration.authToken,
            requestTimeout: requestTimeout,
            retry: retry
        )
        return try await HTTPTOMEClient.withClient(configuration: clientConfiguration, logger: logger) { client in
            try await body(running, client)
        }
    }
}

/// Faults that serve `faults` to the next calls, in order.
func nextFaults(_ faults: [String], hangMs: Int = 30_000, retryAfterSeconds: Double? = nil) -> FaultSettings {
    var settings = FaultSettings()
    settings.nextFaults = faults
    settings.hangMs = hangMs
    if let retryAfterSeconds { settings.retryAfterSeconds = retryAfterSeconds }
    return settings
}

/// A raw HTTP exchange with the simulator, for what the typed client never sends.
struct RawAnswer {
    var status: Int
    var headers: [(String, String)]
    var body: String

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    func errorCode() -> String? {
        (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.utf8)))?.error.code
    }
}

func raw(_ method: String, _ url: String, body: String? = nil, headers: [(String, String)] = []) async throws -> RawAnswer {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 16 << 20)
    return RawAnswer(
        status: Int(response.status.code),
        headers: response.headers.map { ($0.name, $0.value) },
        body: String(buffer: bytes)
    )
}
