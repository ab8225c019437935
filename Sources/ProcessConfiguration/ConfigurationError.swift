/// Configuration that cannot be used, with every problem named by its setting.
///
/// Problems describe the setting and what is wrong with it, never a secret's value.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]

    public init(problems: [String]) {
        self.problems = problems
    }

    public var description: String {
        "invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}
