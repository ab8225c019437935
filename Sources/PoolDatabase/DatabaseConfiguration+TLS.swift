public import NIOSSL

extension DatabaseConfiguration {
    /// The TLS settings `sslmode` stands for; nil for `disable`. The one place that maps a mode to
    /// TLS, for the connection pool and the start-up probe alike.
    ///
    /// libpq's meanings: `prefer` and `require` encrypt but check no certificate (`require` with a
    /// root certificate file checks the chain, as libpq's does); `verify-ca` checks the chain
    /// against `rootCertificateFile` (or the system store); `verify-full` also checks that the
    /// certificate names the host (a DNS name, or an IP address SAN when the host is an address).
    public func makeTLSConfiguration() throws(DatabaseError) -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        case .disable:
            return nil
        case .prefer:
            configuration.certificateVerification = .none
            return configuration
        case .require where rootCertificateFile == nil:
            configuration.certificateVerification = .none
            return configuration
        case .require, .verifyCA:
            // libpq: with a root certificate file, `require` behaves as `verify-ca`.
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if let rootCertificateFile {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(rootCertificateFile))
            } catch {
                throw DatabaseError(operation: "load the database's root certificates", underlying: RootCertificateError(file: rootCertificateFile))
            }
        }
        return configuration
    }

    /// A named root certificate file must hold at least one PEM certificate; checked when the
    /// configuration is read, so a wrong path stops the program at start-up, naming the file.
    func checkRootCertificateFile() throws(DatabaseURLError) {
        guard let rootCertificateFile else { return }
        guard tls != .disable && tls != .prefer else {
            throw DatabaseURLError("names sslrootcert, which only sslmode require, verify-ca or verify-full uses")
        }
        guard let certificates = try? NIOSSLCertificate.fromPEMFile(rootCertificateFile), !certificates.isEmpty else {
            throw DatabaseURLError("names sslrootcert \(RootCertificateError(file: rootCertificateFile).quotedFile), which is not a readable PEM certificate file")
        }
    }
}

/// A root certificate file that cannot be read or holds no PEM certificate.
struct RootCertificateError: Error, CustomStringConvertible {
    let file: String
    var quotedFile: String { "\"\(file.prefix(256))\"" }
    var description: String { "\(quotedFile) is not a readable PEM certificate file" }
}
