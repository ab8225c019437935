/// Checks TOME's answers against the request before anyone uses them.
///
/// A pool that stores a duplicate or an empty token hands the same reference to two cards,
/// so a broken answer is an error here, never passed on. The problems are described by
/// counts only, never by the tokens or values themselves.
public enum AnswerValidation {
    /// `tokens:issue` must return exactly `count` distinct, non-empty tokens.
    public static func issued(_ tokens: [String], count: Int) -> Result<[String], AnswerProblem> {
        if tokens.count != count {
            return .failure(AnswerProblem("answer has \(tokens.count) tokens for a count of \(count)"))
        }
        if let problem = emptyOrDuplicate(tokens, what: "token") {
            return .failure(problem)
        }
        return .success(tokens)
    }

    /// `tokenize` must map every requested value exactly once, to distinct non-empty tokens,
    /// and nothing else. `values` must already be free of duplicates.
    public static func tokenized(_ mappings: [TokenMapping], values: [String]) -> Result<[String: String], AnswerProblem> {
        let requested = Set(values)
        var byValue: [String: String] = [:]
        byValue.reserveCapacity(mappings.count)
        var extra = 0
        var repeated = 0
        for mapping in mappings {
            guard requested.contains(mapping.value) else {
                extra += 1
                continue
            }
            if byValue.updateValue(mapping.token, forKey: mapping.value) != nil { repeated += 1 }
        }
        if extra > 0 { return .failure(AnswerProblem("answer maps \(extra) values that were not requested")) }
        if repeated > 0 { return .failure(AnswerProblem("answer maps \(repeated) values more than once")) }
        let missing = requested.count - byValue.count
        if missing > 0 { return .failure(AnswerProblem("answer leaves \(missing) of \(requested.count) values unmapped")) }
        if let problem = emptyOrDuplicate(Array(byValue.values), what: "token") {
            return .failure(problem)
        }
        return .success(byValue)
    }

    /// `detokenize` must account for every requested token exactly once, as known or unknown.
    /// `tokens` must already be free of duplicates.
    public static func detokenized(_ answer: DetokenizeResponse, tokens: [String]) -> Result<DetokenizeResult, AnswerProblem> {
        let requested = Set(tokens)
        var values: [String: String] = [:]
        values.reserveCapacity(answer.values.count)
        for mapping in answer.values {
            guard requested.contains(mapping.token) else {
                return .failure(AnswerProblem("answer lists a token that was not requested"))
            }
            guard !mapping.value.isEmpty else {
                return .failure(AnswerProblem("answer has an empty value"))
            }
            guard values.updateValue(mapping.value, forKey: mapping.token) == nil else {
                return .failure(AnswerProblem("answer lists a token more than once"))
            }
        }
        let unknown = Set(answer.unknown ?? [])
        if unknown.count != (answer.unknown ?? []).count || !unknown.isSubset(of: requested) {
            return .failure(AnswerProblem("answer's unknown list has repeated or unrequested tokens"))
        }
        if !unknown.isDisjoint(with: values.keys) {
            return .failure(AnswerProblem("answer lists a token as both known and unknown"))
        }
        let missing = requested.count - values.count - unknown.count
        if missing > 0 {
            return .failure(AnswerProblem("answer leaves \(missing) of \(requested.count) tokens unaccounted for"))
        }
        return .success(DetokenizeResult(values: values, unknown: unknown))
    }

    private static func emptyOrDuplicate(_ tokens: [String], what: String) -> AnswerProblem? {
        if tokens.contains(where: \.isEmpty) {
            return AnswerProblem("answer has an empty \(what)")
        }
        let distinct = Set(tokens).count
        if distinct != tokens.count {
            return AnswerProblem("answer has \(tokens.count - distinct) duplicate \(what)s")
        }
        return nil
    }
}

/// Why an answer was rejected, in words that contain no token or value.
public struct AnswerProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}
