public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Writes one JSON object per log record to standard error: what CloudWatch and log pipelines read.
///
/// `{"timestamp": "2026-11-28T05:00:00.123Z", "level": "INFO", "message": "…", "logger": "…", "requestId": "…", …}`;
/// metadata values are strings. `level` uses Lambda's names (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)
/// and `timestamp` is RFC 3339, the two fields Lambda's JSON log format filters and orders by:
/// with swift-log's own names, `warning` and `critical` would be read as INFO and dropped once the
/// function's application log level is raised. Lines are written with one `write(2)` so concurrent
/// records never interleave.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        fields["timestamp"] = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        fields["level"] = event.level.lambdaName
        fields["message"] = "\(event.message)"
        fields["logger"] = label
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count)
        }
    }
}
