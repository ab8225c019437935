import Testing
import TOMEWire

/// The RFC 8259 check every entry point runs before Foundation's lenient decoder.
@Suite("Strict JSON")
struct StrictJSONTests {
    @Test(arguments: [
        "{}", "[]", "0", "-0", "12.5e-3", "1E+2", "\"\"", "true", "false", "null", " {\"a\" : [1, {\"b\": null}] } ",
        #"{"s": "\u00e9\n\"\\\/\b\f\r\t", "n": -1.25}"#, "[[[[]]]]", "\"é🙂\"",
    ])
    func acceptsWhatTheRFCAccepts(_ text: String) {
        #expect(StrictJSON.isValid(Array(text.utf8)), "\(text)")
    }

    @Test(arguments: [
        "", " ", "{", "}", "{,}", "[,]", "[1,]", "{\"a\": 1,}", "{\"a\" 1}", "{\"a\": }", "{a: 1}", "{'a': 1}",
        "[1 2]", "01", "1.", ".5", "-", "1e", "+1", "NaN", "Infinity", "tru", "nul", "\"\\x\"", "\"\\u12G4\"",
        "\"a\nb\"", "\"open", "{} {}", "[] x", "{\"a\": 1}}", "[1]]",
    ])
    func refusesEverythingElse(_ text: String) {
        #expect(!StrictJSON.isValid(Array(text.utf8)), "\(text)")
    }

    @Test func refusesNestingDeeperThanTheLimitWithoutRecursion() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(!StrictJSON.isValid(Array(deep.utf8)))
        let limit = StrictJSON.maxDepth
        #expect(StrictJSON.isValid(Array((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8)))
    }
}
