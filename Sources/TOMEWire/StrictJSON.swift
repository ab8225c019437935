/// RFC 8259 JSON syntax, checked strictly before `JSONDecoder` sees the bytes.
///
/// Foundation's decoder is lenient: it accepts trailing commas (`{"customerId": "a",}`,
/// `[1,]`), which no other JSON parser a payments team runs would. Two parsers that disagree
/// about what a document means are how a request slips past a check, so every entry point
/// (job events, card-app bodies, TOME answers) accepts only what RFC 8259 accepts. Iterative,
/// with a depth limit, so a deeply nested document costs a loop, not the stack.
public enum StrictJSON {
    /// Deeper nesting is refused; no document of ours nests more than a few levels.
    public static let maxDepth = 64

    public static func isValid(_ bytes: some Collection<UInt8>) -> Bool {
        let valid = bytes.withContiguousStorageIfAvailable { Checker.check($0) }
        if let valid { return valid }
        return Array(bytes).withUnsafeBufferPointer { Checker.check($0) }
    }
}

private struct Checker {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var checker = Checker(bytes: bytes)
        return checker.check()
    }

    private enum Expectation {
        case value, firstValueOrEnd, key, firstKeyOrEnd, separatorOrEnd
    }

    mutating func check() -> Bool {
        var objects: [Bool] = []  // the open containers, innermost last: true for an object
        var expectation = Expectation.value
        while true {
            skipWhitespace()
            switch expectation {
            case .firstValueOrEnd where peek == UInt8(ascii: "]"), .firstKeyOrEnd where peek == UInt8(ascii: "}"):
                index += 1
                objects.removeLast()
                expectation = .separatorOrEnd
            case .value, .firstValueOrEnd:
                switch peek {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    guard objects.count < StrictJSON.maxDepth else { return false }
                    objects.append(peek == UInt8(ascii: "{"))
                    expectation = peek == UInt8(ascii: "{") ? .firstKeyOrEnd : .firstValueOrEnd
                    index += 1
                case UInt8(ascii: "\""):
                    guard scanString() else { return false }
                    expectation = .separatorOrEnd
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard scanNumber() else { return false }
                    expectation = .separatorOrEnd
                case UInt8(ascii: "t"):
                    guard scanLiteral("true") else { return false }
                    expectation = .separatorOrEnd
                case UInt8(ascii: "f"):
                    guard scanLiteral("false") else { return false }
                    expectation = .separatorOrEnd
                case UInt8(ascii: "n"):
                    guard scanLiteral("null") else { return false }
                    expectation = .separatorOrEnd
                default:
                    return false
                }
            case .key, .firstKeyOrEnd:
                guard peek == UInt8(ascii: "\""), scanString() else { return false }
                skipWhitespace()
                guard peek == UInt8(ascii: ":") else { return false }
                index += 1
                expectation = .value
            case .separatorOrEnd:
                guard let inObject = objects.last else { return index == bytes.count }
                if peek == UInt8(ascii: ",") {
                    index += 1
                    expectation = inObject ? .key : .value
                } else if peek == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    objects.removeLast()
                } else {
                    return false
                }
            }
        }
    }

    /// The byte at the cursor, or 0 (never valid where a token starts) at the end.
    private var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func scanString() -> Bool {
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return true
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return false }
                let escaped = bytes[index]
                index += 1
                if escaped == UInt8(ascii: "u") {
                    guard index + 4 <= bytes.count, bytes[index..<index + 4].allSatisfy(\.isHexDigit) else { return false }
                    index += 4
                } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                    return false
                }
            case 0..<0x20:
                return false
            default:
                continue
            }
        }
        return false
    }

    private mutating func scanNumber() -> Bool {
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else {
            guard scanDigits() else { return false }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard scanDigits() else { return false }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard scanDigits() else { return false }
        }
        return true
    }

    /// One or more digits.
    private mutating func scanDigits() -> Bool {
        let start = index
        while peek.isDigit { index += 1 }
        return index > start
    }

    private mutating func scanLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        guard bytes[index..<index + count].elementsEqual(expected) else { return false }
        index += count
        return true
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isHexDigit: Bool {
        isDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
