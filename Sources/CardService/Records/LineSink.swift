#if canImport(Glibc)
import Glibc
#endif

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Where one JSON line goes. `write` returns only once the whole line is written, and throws
/// when it cannot be, so a caller that must not go on without its record can stop.
public protocol LineSink: Sendable {
    func write(line: String) throws
}

/// A file descriptor (standard output for the audit trail, standard error for the access log).
/// One `write(2)` per line where the kernel takes it whole, so lines from concurrent requests
/// never interleave within a line.
public struct FileDescriptorSink: LineSink {
    let descriptor: Int32

    public static let standardOutput = FileDescriptorSink(descriptor: 1)
    public static let standardError = FileDescriptorSink(descriptor: 2)

    public func write(line: String) throws {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw LineSinkError(code: errno)
            }
            offset += written
        }
    }
}

public struct LineSinkError: Error, CustomStringConvertible {
    public let code: Int32

    public init(code: Int32) {
        self.code = code
    }

    public var description: String { "cannot write a record: \(String(cString: strerror(code)))" }
}

/// JSON text for the few value types a record holds, escaped as RFC 8259 requires.
enum JSONText {
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// The current time as a JSON string, ISO 8601 in UTC with milliseconds, for every record.
    static func now() -> String {
        string(Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date()))
    }

    /// `{"key": value, …}` in the order given; nil values are left out.
    static func object(_ fields: [(String, String?)]) -> String {
        "{" + fields.compactMap { key, value in value.map { "\(string(key)): \($0)" } }.joined(separator: ", ") + "}"
    }
}
