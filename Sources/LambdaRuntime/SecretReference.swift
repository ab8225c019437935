/// Where a secret lives: a Secrets Manager secret (by ARN) or an SSM parameter (by name or ARN).
public enum SecretReference: Sendable, Equatable, CustomStringConvertible {
    case secretsManager(id: String)
    case parameter(name: String)

    /// `arn:…:secretsmanager:…` is a secret; `arn:…:ssm:…:parameter/…` or a parameter name
    /// (`/tome-pool/tome-token`) is an SSM parameter. Nil for text that is neither.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        if parts.count == 6, parts[0] == "arn" {
            switch parts[2] {
            case "secretsmanager" where parts[5].hasPrefix("secret:"): self = .secretsManager(id: text)
            case "ssm" where parts[5].hasPrefix("parameter/"): self = .parameter(name: text)
            default: return nil
            }
            return
        }
        let allowed = text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "/_.-".utf8.contains(byte)
        }
        guard !text.isEmpty, text.utf8.count <= 2048, allowed else { return nil }
        self = .parameter(name: text)
    }

    /// The ARN or name: what it is, never what it holds.
    public var description: String {
        switch self {
        case .secretsManager(let id): "secret \(id)"
        case .parameter(let name): "parameter \(name)"
        }
    }
}
