public import Logging

extension Logger.Level {
    /// Reads `LOG_LEVEL` alone, for programs that need the level before the rest of their settings.
    public static func fromEnvironment(_ environment: [String: String]) throws(ConfigurationError) -> Logger.Level {
        var reader = EnvironmentReader(environment)
        let level = reader.logLevel("LOG_LEVEL")
        try reader.finish()
        return level
    }

    /// A level by swift-log's name or by Lambda's (`WARN` is `warning`, `FATAL` is `critical`).
    public init?(name: String) {
        switch name.lowercased() {
        case "warn": self = .warning
        case "fatal": self = .critical
        case let other: self.init(rawValue: other)
        }
    }

    /// The name Lambda's JSON log format filters on: TRACE, DEBUG, INFO, WARN, ERROR or FATAL.
    /// Lambda has no `notice`, so it is INFO; anything it does not know it would also read as INFO.
    public var lambdaName: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }
}
