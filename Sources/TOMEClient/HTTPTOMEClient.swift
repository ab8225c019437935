public import ProcessConfiguration
import AsyncHTTPClient
public import Logging
import NIOCore
import NIOSSL

/// The v1 TOME contract over HTTP, on AsyncHTTPClient.
///
/// Every call is retried as its `Configuration.retry` says, for failures a retry can mend
/// (429, 5xx, timeouts, broken connections, garbled answers). That is safe because every
/// operation is idempotent: `tokens:issue` and `tokenize` carry a request id, and the rest
/// only read. Answers are validated before they are returned.
///
/// The client owns connections: call `shutdown()` when done, or use `withClient`.
public struct HTTPTOMEClient: TOMEService {
    public let configuration: Configuration
    let httpClient: HTTPClient
    let logger: Logger

    /// Creates a client; throws a `ConfigurationError` when the URL or the TLS files are unusable.
    public init(configuration: Configuration, logger: Logger = HTTPTOMEClient.disabledLogger) throws(ConfigurationError) {
        let tlsConfiguration = try Self.makeTLSConfiguration(configuration)
        self.configuration = configuration
        self.logger = logger
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnections
        )
        // Our own retry policy decides about failed connections; the pool's silent retries
        // until the connect timeout would hide a refused connection for seconds.
        pool.retryConnectionEstablishment = false
        self.httpClient = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup,
            configuration: .init(
                tlsConfiguration: tlsConfiguration,
                redirectConfiguration: .disallow,
                timeout: .init(
                    connect: .nanoseconds(configuration.connectTimeout.nanoseconds),
                    read: .nanoseconds(configuration.requestTimeout.nanoseconds)
                ),
                connectionPool: pool
            )
        )
    }

    /// Runs `body` with a client and shuts the client down afterwards, whatever happens.
    public static func withClient<Result: Sendable>(
        configuration: Configuration,
        logger: Logger = HTTPTOMEClient.disabledLogger,
        _ body: (HTTPTOMEClient) async throws -> Result
    ) async throws -> Result {
        let client = try HTTPTOMEClient(configuration: configuration, logger: logger)
        let result: Result
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Closes the connections. Calls made afterwards fail.
    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    /// A logger that drops everything: libraries log only when handed a logger.
    public static let disabledLogger = Logger(label: "tome.client", factory: { _ in SwiftLogNoOpLogHandler() })

    // MARK: TOMEService

    public func issueTokens(namespace: String, count: Int, requestId: String) async throws(TOMEError) -> [String] {
        guard count >= 1 else {
            throw invalidArgument(namespace, .issue, "count must be at least 1, got \(count)")
        }
        guard !requestId.isEmpty else {
            throw invalidArgument(namespace, .issue, "requestId must not be empty")
        }
        return try await exchange(
            namespace: namespace,
            operation: .issue,
            body: IssueTokensRequest(count: count, requestId: requestId),
            answer: IssueTokensResponse.self
        ) { answer in
            AnswerValidation.issued(answer.tokens, count: count)
        }
    }

    public func tokenize(namespace: String, values: [String], requestId: String) async throws(TOMEError) -> [String: String] {
        let distinct = values.uniqued()
        guard !distinct.isEmpty else {
            throw invalidArgument(namespace, .tokenize, "values must not be empty")
        }
        guard !distinct.contains(where: \.isEmpty) else {
            throw invalidArgument(namespace, .tokenize, "values must not contain an empty string")
        }
        return try await exchange(
            namespace: namespace,
            operation: .tokenize,
            body: TokenizeRequest(values: distinct, requestId: requestId),
            answer: TokenizeResponse.self
        ) { answer in
            AnswerValidation.tokenized(answer.tokens, values: distinct)
        }
    }

    public func detokenize(namespace: String, tokens: [String]) async throws(TOMEError) -> DetokenizeResult {
        let distinct = tokens.uniqued()
        guard !distinct.isEmpty else {
            throw invalidArgument(namespace, .detokenize, "tokens must not be empty")
        }
        return try await exchange(
            namespace: namespace,
            operation: .detokenize,
            body: DetokenizeRequest(tokens: distinct),
            answer: DetokenizeResponse.self
        ) { answer in
            AnswerValidation.detokenized(answer, tokens: distinct)
        }
    }

    public func namespaceInfo(namespace: String) async throws(TOMEError) -> NamespaceInfo {
        try await exchange(
            namespace: namespace,
            operation: .info,
            body: Optional<IssueTokensRequest>.none,
            answer: NamespaceInfo.self
        ) { info in
            guard info.name == namespace, info.maxBatchSize >= 1 else {
                return .failure(AnswerProblem("namespace info names another namespace or has no batch size"))
            }
            return .success(info)
        }
    }

    private func invalidArgument(_ namespace: String, _ operation: TOMEOperation, _ reason: String) -> TOMEError {
        TOMEError(kind: .invalidArgument, namespace: namespace, operation: operation, isRetryable: false, reason: reason)
    }

    private static func makeTLSConfiguration(_ configuration: Configuration) throws(ConfigurationError) -> TLSConfiguration? {
        guard configuration.baseURL.hasPrefix("https://") else {
            guard configuration.baseURL.hasPrefix("http://") else {
                throw ConfigurationError(problems: ["TOME base URL must start with http:// or https://"])
            }
            if configuration.tls != nil {
                throw ConfigurationError(problems: ["TLS files are set but the TOME base URL is not https://"])
            }
            return nil
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        guard let files = configuration.tls else { return tls }
        var problems: [String] = []
        if let caFile = files.caFile {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            } catch {
                problems.append("TLS CA file \(caFile) is not a readable PEM certificate bundle")
            }
        }
        switch (files.certificateFile, files.privateKeyFile) {
        case (nil, nil):
            break
        case (let certificateFile?, let keyFile?):
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            } catch {
                problems.append("TLS client certificate file \(certificateFile) is not a readable PEM certificate")
            }
            do {
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
            } catch {
                problems.append("TLS client key file \(keyFile) is not a readable PEM private key")
            }
        default:
            problems.append("mutual TLS needs both a client certificate file and a private key file")
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        return tls
    }
}

extension Array where Element: Hashable {
    /// The elements in their first order, each once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        seen.reserveCapacity(count)
        return filter { seen.insert($0).inserted }
    }
}
