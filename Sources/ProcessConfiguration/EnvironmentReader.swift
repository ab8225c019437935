public import Logging

/// Reads environment variables and collects what is wrong with them, so that a bad
/// deployment is told about every mistake at once rather than one per restart.
public struct EnvironmentReader {
    private let environment: [String: String]
    public private(set) var problems: [String] = []

    public init(_ environment: [String: String]) {
        self.environment = environment
    }

    /// The trimmed value, or nil when unset or blank.
    public func optionalString(_ name: String) -> String? {
        guard let raw = environment[name]?.trimmingWhitespace(), !raw.isEmpty else { return nil }
        return raw
    }

    public mutating func requiredString(_ name: String) -> String? {
        guard let value = optionalString(name) else {
            problem("\(name) is required but not set")
            return nil
        }
        return value
    }

    public mutating func string(_ name: String, default fallback: String) -> String {
        optionalString(name) ?? fallback
    }

    /// A required `http://` or `https://` URL without credentials or a trailing slash.
    public mutating func url(_ name: String) -> String? {
        guard let value = requiredString(name) else { return nil }
        guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
            problem("\(name) must start with http:// or https://")
            return nil
        }
        let afterScheme = value.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false).dropFirst(2).first ?? ""
        if afterScheme.isEmpty {
            problem("\(name) has no host")
            return nil
        }
        if afterScheme.contains("@") {
            problem("\(name) must not carry credentials; use the token variable instead")
            return nil
        }
        return value.hasSuffix("/") ? String(value.dropLast()) : value
    }

    public mutating func integer(_ name: String, default fallback: Int, in range: ClosedRange<Int>) -> Int {
        guard let raw = optionalString(name) else { return fallback }
        guard let value = Int(raw) else {
            problem("\(name) must be a whole number, got \"\(raw.prefix(32))\"")
            return fallback
        }
        guard range.contains(value) else {
            problem("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return fallback
        }
        return value
    }

    /// A log level: swift-log's names (trace, debug, info, notice, warning, error, critical) or
    /// Lambda's (TRACE, DEBUG, INFO, WARN, ERROR, FATAL), in any case; default info.
    public mutating func logLevel(_ name: String) -> Logger.Level {
        guard let raw = optionalString(name) else { return .info }
        guard let level = Logger.Level(name: raw) else {
            problem("\(name) must be one of trace, debug, info, notice, warning, error, critical (or Lambda's TRACE, DEBUG, INFO, WARN, ERROR, FATAL), got \"\(raw.prefix(32))\"")
            return .info
        }
        return level
    }

    public mutating func problem(_ text: String) {
        problems.append(text)
    }

    /// Throws every collected problem at once.
    public func finish() throws(ConfigurationError) {
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
    }
}

extension String {
    /// Without leading and trailing whitespace.
    public func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars = scalars.dropFirst() }
        while let last = scalars.last, last.isWhitespace { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
