extension HTTPTOMEClient {
    /// Everything the HTTP client needs to reach TOME. Tests build it directly;
    /// executables read it from the environment with `init(environment:)`.
    public struct Configuration: Sendable {
        /// Where TOME listens, e.g. `https://tome.internal:8443`; no trailing path.
        public var baseURL: String
        /// Sent as `Authorization: Bearer …` when set. Never logged or printed.
        public var authToken: String?
        /// TLS settings for an `https` base URL; the system trust store is used when nil.
        public var tls: TLS?
        /// How long to wait for a connection. Default 2 s.
        public var connectTimeout: Duration
        /// How long one attempt may take, from sending to the whole answer. Default 5 s.
        public var requestTimeout: Duration
        /// How failed attempts are retried. Default: 4 attempts, 100 ms doubling to 2 s, full jitter.
        public var retry: RetryPolicy
        /// The soft limit of open connections to TOME. Default 16.
        public var maxConnections: Int
        /// The largest answer accepted; a larger one is an invalid answer. Default 16 MiB.
        public var maxResponseBytes: Int

        public init(
            baseURL: String,
            authToken: String? = nil,
            tls: TLS? = nil,
            connectTimeout: Duration = .seconds(2),
            requestTimeout: Duration = .seconds(5),
            retry: RetryPolicy = RetryPolicy(),
            maxConnections: Int = 16,
            maxResponseBytes: Int = 16 << 20
        ) {
            self.baseURL = baseURL
            self.authToken = authToken
            self.tls = tls
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
            self.retry = retry
            self.maxConnections = maxConnections
            self.maxResponseBytes = maxResponseBytes
        }
    }

    /// TLS and mutual TLS from PEM files.
    public struct TLS: Sendable, Equatable {
        /// PEM file of the certificate authorities to trust instead of the system store.
        public var caFile: String?
        /// PEM file of the client certificate chain, for mutual TLS.
        public var certificateFile: String?
        /// PEM file of the client's private key, for mutual TLS.
        public var privateKeyFile: String?

        public init(caFile: String? = nil, certificateFile: String? = nil, privateKeyFile: String? = nil) {
            self.caFile = caFile
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
        }
    }
}
