public import HummingbirdCore
import HummingbirdTLS
import NIOSSL
public import ProcessConfiguration

/// HTTPS on card-app itself, for encryption between the load balancer and the task: a
/// certificate chain and its key, TLS 1.2 or newer. Optional: without it card-app speaks HTTP.
public struct ServerTLS: Sendable {
    let configuration: TLSConfiguration

    /// PEM text of the certificate chain (leaf first) and of its private key.
    public init(certificateChainPEM: String, privateKeyPEM: String) throws(ConfigurationError) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8))
        } catch {
            throw ConfigurationError(problems: ["the certificate is not a PEM certificate chain"])
        }
        guard !chain.isEmpty else { throw ConfigurationError(problems: ["the certificate holds no PEM certificate"]) }
        do {
            key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        } catch {
            throw ConfigurationError(problems: ["the key is not a PEM private key"])
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        self.configuration = configuration
    }
}


extension ServerLimits {
    /// The HTTP/1.1 server with these limits, over TLS when `tls` is given.
    public func server(tls: ServerTLS?) throws -> HTTPServerBuilder {
        guard let tls else { return server }
        return try .tls(server, tlsConfiguration: tls.configuration)
    }
}
