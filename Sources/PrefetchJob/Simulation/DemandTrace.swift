#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A demand trace: relative demand at a fixed step, read from a CSV with the header
/// `timestamp,value` (timestamps `YYYY-MM-DD HH:MM:SS` or ISO 8601, UTC; a step from one
/// minute to one hour). Demand within a step is spread evenly over it.
public struct DemandTrace: Sendable, Equatable {
    /// The start of the first step, in seconds since 1970.
    public var start: Int
    /// The step, in seconds.
    public var step: Int
    /// Relative demand in each step, oldest first.
    public var values: [Double]
    /// Missing rows (gaps of whole steps) filled in between their neighbours.
    public var filledGaps: Int

    /// The longest gap that is filled in rather than refused.
    static let longestGap = 86_400

    public var end: Int { start + step * values.count }

    /// Reads a trace; anything wrong is a `SimulationError` that names the line.
    public init(csv text: String) throws(SimulationError) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
        guard let header = lines.first else { throw SimulationError.trace(line: 1, problem: "the file is empty; expected the header timestamp,value") }
        guard header.filter({ !$0.isWhitespace }).lowercased() == "timestamp,value" else {
            throw SimulationError.trace(line: 1, problem: "the header must be timestamp,value, got \"\(header.prefix(60))\"")
        }
        var rows: [(time: Int, value: Double, line: Int)] = []
        rows.reserveCapacity(lines.count)
        for (index, line) in lines.enumerated().dropFirst() {
            let number = index + 1
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == 2 else {
                throw SimulationError.trace(line: number, problem: "expected two fields, timestamp,value; got \(fields.count)")
            }
            guard let time = Self.parseTime(fields[0].trimmingCharacters(in: .whitespaces)) else {
                throw SimulationError.trace(line: number, problem: "\"\(fields[0].prefix(40))\" is not a UTC time like 2026-01-05 13:30:00 or 2026-01-05T13:30:00Z")
            }
            guard let value = Double(fields[1].trimmingCharacters(in: .whitespaces)), value.isFinite, value >= 0 else {
                throw SimulationError.trace(line: number, problem: "\"\(fields[1].prefix(40))\" is not a demand value (a number, 0 or more)")
            }
            if let previous = rows.last, time <= previous.time {
                throw SimulationError.trace(line: number, problem: "its time is not after the previous line's; the rows must be in time order")
            }
            rows.append((time, value, number))
        }
        guard rows.count >= 2 else { throw SimulationError.trace(line: lines.count, problem: "a trace needs at least two rows to have a step") }
        let step = zip(rows, rows.dropFirst()).map { $1.time - $0.time }.min() ?? 0
        guard (60...3_600).contains(step) else {
            throw SimulationError.trace(line: rows[1].line, problem: "the step is \(step) s; it must be between 1 minute and 1 hour")
        }
        var values: [Double] = [rows[0].value]
        var filled = 0
        for (previous, row) in zip(rows, rows.dropFirst()) {
            let gap = row.time - previous.time
            guard gap % step == 0, gap <= Self.longestGap else {
                throw SimulationError.trace(line: row.line, problem: "it is \(gap) s after the previous row; the file's step is \(step) s (gaps must be whole steps, at most a day)")
            }
            let missing = gap / step - 1
            for k in 0..<missing {
                let fraction = Double(k + 1) / Double(missing + 1)
                values.append(previous.value + (row.value - previous.value) * fraction)
            }
            filled += missing
            values.append(row.value)
        }
        self.init(start: rows[0].time, step: step, values: values, filledGaps: filled)
    }

    public init(start: Int, step: Int, values: [Double], filledGaps: Int = 0) {
        self.start = start
        self.step = step
        self.values = values
        self.filledGaps = filledGaps
    }

    /// Demand per whole minute from the minute the trace starts in, each step spread evenly.
    func perMinute() -> (origin: Int, minutes: [Double]) {
        let origin = start - ((start % 60) + 60) % 60
        let count = (end - origin + 59) / 60
        var minutes = [Double](repeating: 0, count: count)
        for (index, value) in values.enumerated() where value > 0 {
            let from = start + index * step
            let to = from + step
            let rate = value / Double(step)
            var second = from
            while second < to {
                let minute = (second - origin) / 60
                let next = min(to, origin + (minute + 1) * 60)
                minutes[minute] += rate * Double(next - second)
                second = next
            }
        }
        return (origin, minutes)
    }

    /// Parses `YYYY-MM-DD HH:MM:SS` or ISO 8601 (`T`, optional fraction, `Z` or `+00:00`) as UTC.
    public static func parseTime(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: " ") || bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let digit = Int(bytes[index]) - 48
                guard (0...9).contains(digit) else { return nil }
                value = value * 10 + digit
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return nil }
        var rest = bytes[19...]
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            let digits = rest.prefix { (48...57).contains($0) }
            guard !digits.isEmpty else { return nil }
            rest = rest.dropFirst(digits.count)
        }
        let zone = String(decoding: rest, as: UTF8.self)
        guard ["", "Z", "+00:00", "+0000"].contains(zone) else { return nil }
        return daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
