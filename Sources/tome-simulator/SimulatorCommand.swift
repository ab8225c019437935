import ProcessConfiguration
import ArgumentParser
import Logging
import ServiceLifecycle
import TOMESimulator

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `tome-simulator`: serves the TOME v1 contract locally, with fault injection.
@main
struct SimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tome-simulator",
        abstract: "Serve the TOME v1 contract on this machine, with faults on demand.",
        discussion: """
            The first line on stdout is the URL it listens on. Faults can be changed while it runs:
            PUT /admin/faults with a JSON object; GET /admin/stats reports the counters.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on; 0 picks a free one.") var port = 8090
    @Option(name: .customLong("namespace"), help: "A namespace that exists (repeat the flag); default NS1 and NS2.")
    var namespaces: [String] = []
    @Option(help: "The most tokens or values one call may carry.") var maxBatchSize = 1000
    @Option(help: "Require this bearer token on v1 calls (or set TOME_SIMULATOR_AUTH_TOKEN).") var authToken: String?
    @Option(help: "Latency added to every v1 answer, in ms.") var latencyMs = 0
    @Option(help: "Uniform jitter around the latency, in ms.") var jitterMs = 0
    @Option(name: .customLong("error-rate"), help: "STATUS=RATE, e.g. 503=0.05 (repeat the flag).")
    var errorRates: [String] = []
    @Option(help: "Calls per second before answering 429.") var rateLimit: Double?
    @Option(help: "Retry-After sent with a 429, in seconds.") var retryAfterSeconds: Double = 1
    @Option(help: "Rate of answers with a wrong count.") var wrongCountRate: Double = 0
    @Option(help: "Rate of answers with a duplicate token.") var duplicateTokenRate: Double = 0
    @Option(help: "Rate of answers with broken JSON.") var brokenJsonRate: Double = 0
    @Option(help: "Rate of calls answered only after --hang-ms.") var hangRate: Double = 0
    @Option(help: "How long a hang lasts, in ms.") var hangMs = 30_000
    @Option(help: "Seed for the fault dice, for repeatable runs.") var seed: UInt64?
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel = "info"
    @Option(help: "PEM certificate chain: serve HTTPS.") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "PEM CA bundle: require client certificates signed by it (mutual TLS).") var tlsClientCa: String?

    func run() async throws {
        let configuration = try makeConfiguration()
        var logger = Logger(label: "tome.simulator", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        let simulator = try SimulatedTOME(configuration: configuration, logger: logger) { url in
            // Scripts read the URL from the first line, so it goes out at once.
            print(url)
            fflush(nil)
        }
        let group = ServiceGroup(
            configuration: .init(services: [simulator], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await group.run()
    }

    private func makeConfiguration() throws -> SimulatedTOME.Configuration {
        var faults = FaultSettings()
        faults.latencyMs = latencyMs
        faults.jitterMs = jitterMs
        faults.rateLimitPerSecond = rateLimit
        faults.retryAfterSeconds = retryAfterSeconds
        faults.wrongCountRate = wrongCountRate
        faults.duplicateTokenRate = duplicateTokenRate
        faults.brokenJSONRate = brokenJsonRate
        faults.hangRate = hangRate
        faults.hangMs = hangMs
        for entry in errorRates {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let rate = Double(parts[1]) else {
                throw ValidationError("--error-rate takes STATUS=RATE, e.g. 503=0.05; got \"\(entry)\"")
            }
            faults.errorRates[parts[0], default: 0] += rate
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        var tls: SimulatedTOME.TLSFiles?
        switch (tlsCert, tlsKey) {
        case (let cert?, let key?): tls = .init(certificateFile: cert, privateKeyFile: key, clientCAFile: tlsClientCa)
        case (nil, nil) where tlsClientCa == nil: tls = nil
        default: throw ValidationError("--tls-cert and --tls-key go together; --tls-client-ca needs both")
        }
        let token = authToken ?? ProcessEnvironment.value("TOME_SIMULATOR_AUTH_TOKEN")
        let configuration = SimulatedTOME.Configuration(
            host: host,
            port: port,
            namespaces: namespaces.isEmpty ? ["NS1", "NS2"] : namespaces,
            maxBatchSize: maxBatchSize,
            authToken: token,
            faults: faults,
            seed: seed,
            tls: tls
        )
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "\n")) }
        return configuration
    }
}
