#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One line of JSON with sorted keys and ISO 8601 dates: what the job prints and answers.
public enum JSONLine {
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else {
            return #"{"status":"error","error":"the result could not be encoded"}"#
        }
        return String(decoding: data, as: UTF8.self)
    }
}
