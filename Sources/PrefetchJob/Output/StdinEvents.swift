import TOMEWire

/// Splits standard input into events: one JSON document, or one JSON document per line.
public enum StdinEvents {
    /// The whole input is one event when it is one JSON document (even pretty-printed over many
    /// lines); otherwise every non-blank line is an event of its own.
    public static func split(_ input: [UInt8]) -> [[UInt8]] {
        let trimmed = input.drop { isBlank($0) }.reversed().drop { isBlank($0) }.reversed()
        guard !trimmed.isEmpty else { return [] }
        if isOneJSONDocument(Array(trimmed)) || !looksLikeLines(Array(trimmed)) {
            return [Array(trimmed)]
        }
        return trimmed.split(separator: UInt8(ascii: "\n"))
            .map { Array($0.drop { isBlank($0) }) }
            .filter { !$0.isEmpty }
    }

    private static func isOneJSONDocument(_ input: [UInt8]) -> Bool {
        StrictJSON.isValid(input)
    }

    /// Several lines that each start a JSON value: newline-delimited events.
    private static func looksLikeLines(_ input: [UInt8]) -> Bool {
        let lines = input.split(separator: UInt8(ascii: "\n")).filter { !$0.allSatisfy(isBlank) }
        return lines.count > 1 && lines.allSatisfy { $0.first(where: { !isBlank($0) }) == UInt8(ascii: "{") }
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
