public import Logging
import Synchronization

/// Captures log lines, so tests assert what was (and was not) logged instead of reading by eye.
public final class LogCapture: Sendable {
    private let storage = Mutex<[String]>([])

    public init() {}

    /// Every captured line: level, message and metadata.
    public var lines: [String] { storage.withLock { $0 } }

    /// A logger at trace level whose lines land here.
    public var logger: Logger {
        Logger(label: "capture") { _ in Handler(capture: self) }
    }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.storage.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
        }
    }
}
