/// The TLS floor: a database beyond this machine is never reached in plain text or without a
/// certificate check because a URL said nothing. libpq's default, `prefer`, checks no
/// certificate and falls back to plain text, so a URL that names no `sslmode` is fine on
/// loopback only.
extension DatabaseConfiguration {
    /// Traffic that never leaves the machine: 127.0.0.0/8, ::1 or localhost.
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// `DATABASE_URL` for a service: like `init(url:)`, but a host beyond loopback must name its
    /// `sslmode` (refused otherwise, naming `sslmode=verify-full` and `sslrootcert`).
    public init(serviceURL url: String) throws(DatabaseURLError) {
        let (configuration, named) = try Self.parse(url: url)
        guard configuration.isLoopback || named.contains("sslmode") else {
            throw DatabaseURLError(
                "names the host \(configuration.host.prefix(253)) but no sslmode, so its traffic could go in plain text to a server whose certificate "
                    + "nobody checked: add sslmode=verify-full&sslrootcert=FILE (for RDS, AWS's global bundle), or name a weaker sslmode on purpose"
            )
        }
        self = configuration
    }

    /// A URL held in a secret, read with the settings beside it: a host beyond loopback gets at
    /// least `DATABASE_SSLMODE` (`floor`). A URL that names no `sslmode` is raised to the floor
    /// (and, for `verify-ca` and `verify-full`, given `DATABASE_SSLROOTCERT` unless it names its
    /// own `sslrootcert`); one that names a weaker mode is refused, naming both.
    static func secretURL(_ url: String, floor: SecretDefaults) throws(DatabaseURLError) -> DatabaseConfiguration {
        var (configuration, named) = try parse(url: url)
        guard !configuration.isLoopback else { return configuration }
        if !named.contains("sslmode") {
            configuration.tls = floor.tls
        } else if configuration.tls.strength < floor.tls.strength {
            throw DatabaseURLError(
                secret: "is a URL with sslmode=\(configuration.tls.rawValue), weaker than DATABASE_SSLMODE=\(floor.tls.rawValue): "
                    + "raise the secret's sslmode, or remove it so that DATABASE_SSLMODE applies"
            )
        }
        if !named.contains("sslrootcert"), configuration.tls.verifiesCertificate {
            configuration.rootCertificateFile = floor.rootCertificateFile
        }
        try configuration.checkRootCertificateFile()
        return configuration
    }
}

extension DatabaseConfiguration.TLSMode {
    /// How much a mode protects, `disable` lowest: each one does what the one before does and more.
    var strength: Int {
        switch self {
        case .disable: 0
        case .prefer: 1
        case .require: 2
        case .verifyCA: 3
        case .verifyFull: 4
        }
    }

    var verifiesCertificate: Bool { self == .verifyCA || self == .verifyFull }
}
