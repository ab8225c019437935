public import Logging

#if canImport(Glibc)
import Glibc
#endif

/// How a program writes its log on standard error: JSON lines (`JSONLogHandler`, what log
/// pipelines read) or swift-log's readable lines, for a person at a terminal.
public enum LogFormat: String, Sendable {
    case json
    case text

    /// JSON when standard error is not a terminal, readable lines when it is.
    public static var forStandardError: LogFormat {
        isatty(STDERR_FILENO) == 0 ? .json : .text
    }

    /// A logger labelled `label` at `level`, writing in this format.
    public func logger(label: String, level: Logger.Level) -> Logger {
        var logger = Logger(label: label) { label -> any LogHandler in
            switch self {
            case .json: JSONLogHandler(label: label, level: level)
            case .text: StreamLogHandler.standardError(label: label)
            }
        }
        logger.logLevel = level
        return logger
    }
}

extension EnvironmentReader {
    /// `json` or `text`; unset, `LogFormat.forStandardError`.
    public mutating func logFormat(_ name: String) -> LogFormat {
        guard let raw = optionalString(name) else { return .forStandardError }
        guard let format = LogFormat(rawValue: raw.lowercased()) else {
            problem("\(name) must be json or text, got \"\(raw.prefix(32))\"")
            return .forStandardError
        }
        return format
    }
}
