public import Logging

extension Logger.Level {
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
