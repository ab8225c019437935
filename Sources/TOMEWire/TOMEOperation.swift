/// The four v1 operations, with the path each one is served on.
public enum TOMEOperation: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case issue
    case tokenize
    case detokenize
    case info

    /// The last path component after `/v1/namespaces/{ns}`, or nil for the namespace itself.
    public var pathAction: String? {
        switch self {
        case .issue: "tokens:issue"
        case .tokenize: "tokenize"
        case .detokenize: "detokenize"
        case .info: nil
        }
    }

    public var httpMethod: String {
        self == .info ? "GET" : "POST"
    }

    public init?(pathAction: String?) {
        guard let match = Self.allCases.first(where: { $0.pathAction == pathAction }) else { return nil }
        self = match
    }

    /// `/v1/namespaces/NS1/tokens:issue` and so on. Namespace names are restricted to
    /// `[A-Za-z0-9_-]` by `NamespaceName`, so they need no percent-encoding.
    public func path(namespace: String) -> String {
        let base = "/v1/namespaces/\(namespace)"
        guard let pathAction else { return base }
        return "\(base)/\(pathAction)"
    }

    public var description: String { rawValue }
}

/// Namespace names are path components and metric labels, so they are kept to a safe alphabet.
public enum NamespaceName {
    public static let maxLength = 64

    public static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxLength
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2D
            }
    }
}
