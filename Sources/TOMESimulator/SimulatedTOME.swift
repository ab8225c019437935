import Hummingbird
import HummingbirdTLS
import NIOSSL
public import Logging
import NIOCore
public import ProcessConfiguration
public import ServiceLifecycle
import TOMEWire

/// A TOME simulator serving the v1 contract, with fault injection, for tests, CI, benchmarks
/// and local runs. It is a `Service`: run it in a `ServiceGroup`, or in-process with `withRunning`.
public struct SimulatedTOME: Service {
    public let configuration: Configuration
    private let vault: TokenVault
    private let faults: FaultInjector
    private let logger: Logger
    private let onListening: @Sendable (String) async -> Void

    /// - Parameter onListening: called once with the URL the simulator listens on (its real port when 0 was asked for).
    public init(
        configuration: Configuration,
        logger: Logger = Logger(label: "tome.simulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        onListening: @escaping @Sendable (String) async -> Void = { _ in }
    ) throws(ConfigurationError) {
        let problems = configuration.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        self.configuration = configuration
        self.vault = TokenVault(namespaces: configuration.namespaces)
        self.faults = FaultInjector(settings: configuration.faults, seed: configuration.seed)
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let host = configuration.host
        let onListening = onListening
        let scheme = configuration.tls == nil ? "http" : "https"
        let tlsConfiguration = try configuration.tls.map(Self.makeTLSConfiguration)
        let app = Application(
            responder: SimulatorResponder(vault: vault, faults: faults, configuration: configuration),
            server: try tlsConfiguration.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: "tome-simulator"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                let printableHost = host.contains(":") ? "[\(host)]" : host
                await onListening("\(scheme)://\(printableHost):\(port)")
            },
            logger: logger
        )
        try await app.run()
    }

    static func makeTLSConfiguration(_ files: TLSFiles) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(files.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: files.privateKeyFile, format: .pem))
        )
        if let clientCA = files.clientCAFile {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            tls.certificateVerification = .noHostnameVerification
        }
        return tls
    }

    // MARK: In-process control, the same as the admin API

    /// The counters `GET /admin/stats` reports.
    public var stats: SimulatorStats {
        SimulatorResponder(vault: vault, faults: faults, configuration: configuration).stats()
    }

    /// Replaces the faults, as `PUT /admin/faults` does.
    public func setFaults(_ settings: FaultSettings) throws(ConfigurationError) {
        let problems = settings.problems()
        guard problems.isEmpty else { throw ConfigurationError(problems: problems) }
        faults.replace(settings)
    }

    /// Forgets every token, zeroes the counters and restores the start-up faults, as `POST /admin/reset` does.
    public func reset() {
        vault.reset()
        faults.resetCounts()
        faults.replace(configuration.faults)
    }

    /// Starts a simulator, runs `body` with it once it listens, and stops it afterwards.
    public static func withRunning<Result: Sendable>(
        configuration: Configuration = Configuration(),
        logger: Logger = Logger(label: "tome.simulator", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: @Sendable (RunningSimulator) async throws -> Result
    ) async throws -> Result {
        let (urls, continuation) = AsyncStream.makeStream(of: String.self)
        let simulator = try SimulatedTOME(configuration: configuration, logger: logger) { url in
            continuation.yield(url)
            continuation.finish()
        }
        return try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await simulator.run()
                return nil
            }
            var iterator = urls.makeAsyncIterator()
            guard let url = await iterator.next() else {
                // The server stopped before listening: surface its error.
                _ = try await group.next()
                throw ConfigurationError(problems: ["the simulator stopped before it listened"])
            }
            defer { group.cancelAll() }
            return try await body(RunningSimulator(url: url, simulator: simulator))
        }
    }
}

/// A simulator that is listening, as handed to `SimulatedTOME.withRunning`'s body.
public struct RunningSimulator: Sendable {
    /// Where it listens, e.g. `http://127.0.0.1:41234`.
    public let url: String
    /// The simulator itself, for stats, faults and reset without HTTP.
    public let simulator: SimulatedTOME
}
