import TOMEWire

extension SimulatedTOME {
    /// How the simulator starts. Tests build it directly; the executable fills it from flags.
    public struct Configuration: Sendable, Equatable {
        /// The address to listen on. Default `127.0.0.1`: the simulator is a local tool.
        public var host: String
        /// The port; 0 picks a free one. Default 0.
        public var port: Int
        /// The namespaces that exist. Default `NS1` and `NS2`.
        public var namespaces: [String]
        /// The most tokens or values one call may carry. Default 1000.
        public var maxBatchSize: Int
        /// When set, every v1 call must carry `Authorization: Bearer <authToken>`. Default none.
        public var authToken: String?
        /// The faults served from the start; `POST /admin/reset` returns to them.
        public var faults: FaultSettings
        /// Seeds the fault dice, so that a run serves the same faults again. Default random.
        public var seed: UInt64?
        /// Serve HTTPS (and, with a client CA, require client certificates); nil serves plain HTTP.
        public var tls: TLSFiles?

        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            namespaces: [String] = ["NS1", "NS2"],
            maxBatchSize: Int = 1000,
            authToken: String? = nil,
            faults: FaultSettings = FaultSettings(),
            seed: UInt64? = nil,
            tls: TLSFiles? = nil
        ) {
            self.host = host
            self.port = port
            self.namespaces = namespaces
            self.maxBatchSize = maxBatchSize
            self.authToken = authToken
            self.faults = faults
            self.seed = seed
            self.tls = tls
        }

        /// Every problem with this configuration; empty when it can start.
        public func problems() -> [String] {
            var problems = faults.problems()
            if !(0...65_535).contains(port) { problems.append("port must be between 0 and 65535") }
            if maxBatchSize < 1 { problems.append("max batch size must be at least 1") }
            if namespaces.isEmpty { problems.append("at least one namespace is needed") }
            for name in namespaces where !NamespaceName.isValid(name) {
                problems.append("namespace \"\(name.prefix(64))\" may use only letters, digits, '_' and '-'")
            }
            if Set(namespaces).count != namespaces.count { problems.append("namespaces must not repeat") }
            if authToken?.isEmpty == true { problems.append("the auth token must not be empty when set") }
            return problems
        }
    }

    /// PEM files for serving TLS, so clients' TLS and mutual TLS settings can be tried for real.
    public struct TLSFiles: Sendable, Equatable {
        /// The server's certificate chain.
        public var certificateFile: String
        /// The server's private key.
        public var privateKeyFile: String
        /// When set, clients must present a certificate signed by one of these CAs (mutual TLS).
        public var clientCAFile: String?

        public init(certificateFile: String, privateKeyFile: String, clientCAFile: String? = nil) {
            self.certificateFile = certificateFile
            self.privateKeyFile = privateKeyFile
            self.clientCAFile = clientCAFile
        }
    }
}
