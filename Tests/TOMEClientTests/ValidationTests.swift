import ProcessConfiguration
import Testing
import TOMEClient

/// Answer validation, retry timing and configuration parsing: the parts with no I/O.
@Suite("Validation and policies")
struct ValidationTests {
    @Test func issuedAnswersMustMatchTheRequest() {
        #expect(throws: Never.self) { try AnswerValidation.issued(["a", "b"], count: 2).get() }
        #expect(throws: AnswerProblem.self) { try AnswerValidation.issued(["a"], count: 2).get() }
        #expect(throws: AnswerProblem.self) { try AnswerValidation.issued(["a", "a"], count: 2).get() }
        #expect(throws: AnswerProblem.self) { try AnswerValidation.issued(["a", ""], count: 2).get() }
    }

    @Test func tokenizedAnswersMustMapEveryValueOnce() throws {
        let values = ["x", "y"]
        let good = [TokenMapping(value: "y", token: "t2"), TokenMapping(value: "x", token: "t1")]
        #expect(try AnswerValidation.tokenized(good, values: values).get() == ["x": "t1", "y": "t2"])
        let broken: [[TokenMapping]] = [
            [TokenMapping(value: "x", token: "t1")],
            [TokenMapping(value: "x", token: "t1"), TokenMapping(value: "y", token: "t1")],
            [TokenMapping(value: "x", token: "t1"), TokenMapping(value: "y", token: "")],
            good + [TokenMapping(value: "z", token: "t3")],
            good + [TokenMapping(value: "x", token: "t1")],
        ]
        for answer in broken {
            #expect(throws: AnswerProblem.self) { try AnswerValidation.tokenized(answer, values: values).get() }
        }
    }

    @Test func detokenizedAnswersMustAccountForEveryToken() throws {
        let tokens = ["a", "b", "c"]
        let good = DetokenizeResponse(values: [ValueMapping(token: "a", value: "1"), ValueMapping(token: "b", value: "2")], unknown: ["c"])
        #expect(try AnswerValidation.detokenized(good, tokens: tokens).get().unknown == ["c"])
        let broken = [
            DetokenizeResponse(values: [ValueMapping(token: "a", value: "1")], unknown: ["c"]),
            DetokenizeResponse(values: good.values, unknown: ["c", "c"]),
            DetokenizeResponse(values: good.values, unknown: ["c", "a"]),
            DetokenizeResponse(values: good.values + [ValueMapping(token: "z", value: "9")], unknown: ["c"]),
            DetokenizeResponse(values: [ValueMapping(token: "a", value: "")], unknown: ["b", "c"]),
        ]
        for answer in broken {
            #expect(throws: AnswerProblem.self) { try AnswerValidation.detokenized(answer, tokens: tokens).get() }
        }
    }

    @Test func problemsNeverQuoteTokens() {
        let problem = AnswerValidation.issued(["secret-token", "secret-token"], count: 2)
        guard case .failure(let reason) = problem else {
            Issue.record("duplicates were accepted")
            return
        }
        #expect(!reason.description.contains("secret"))
    }

    @Test func backoffGrowsStaysUnderItsCapAndHonoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(400), maxRetryAfter: .seconds(5))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            #expect(policy.delay(after: 1, retryAfter: nil, using: &generator)! <= .milliseconds(100))
            #expect(policy.delay(after: 4, retryAfter: nil, using: &generator)! <= .milliseconds(400))
            #expect(policy.delay(after: 2, retryAfter: .seconds(1), using: &generator)! >= .seconds(1))
        }
        #expect(policy.delay(after: 5, retryAfter: nil, using: &generator) == nil)
        #expect(policy.delay(after: 1, retryAfter: .seconds(6), using: &generator) == nil)
        #expect(RetryPolicy.none.delay(after: 1, retryAfter: nil, using: &generator) == nil)
    }

    @Test func environmentConfigurationNamesEveryBadVariable() {
        let environment = [
            "TOME_URL": "ftp://tome",
            "TOME_REQUEST_TIMEOUT_MS": "soon",
            "TOME_MAX_ATTEMPTS": "0",
            "TOME_CLIENT_CERT_FILE": "/etc/cert.pem",
            "TOME_AUTH_TOKEN": "top-secret-value",
        ]
        let error = #expect(throws: ConfigurationError.self) {
            try HTTPTOMEClient.Configuration(environment: environment)
        }
        let text = error?.description ?? ""
        for variable in ["TOME_URL", "TOME_REQUEST_TIMEOUT_MS", "TOME_MAX_ATTEMPTS", "TOME_CLIENT_KEY_FILE"] {
            #expect(text.contains(variable), "\(variable) is not named")
        }
        #expect(!text.contains("top-secret-value"))
        #expect(error?.problems.count == 4)
    }

    @Test func environmentConfigurationHasDefaults() throws {
        let configuration = try HTTPTOMEClient.Configuration(environment: ["TOME_URL": "https://tome.internal:8443/", "TOME_AUTH_TOKEN": "t"])
        #expect(configuration.baseURL == "https://tome.internal:8443")
        #expect(configuration.requestTimeout == .seconds(5))
        #expect(configuration.retry.maxAttempts == 4)
        #expect(configuration.tls == nil)
        #expect(configuration.authToken == "t")
        #expect(throws: ConfigurationError.self) { try HTTPTOMEClient.Configuration(environment: [:]) }
        #expect(throws: ConfigurationError.self) {
            try HTTPTOMEClient.Configuration(environment: ["TOME_URL": "https://user:pw@tome.internal"])
        }
    }

    @Test func logFormatIsJSONOrTextAndNothingElse() throws {
        func read(_ environment: [String: String]) -> (LogFormat, [String]) {
            var reader = EnvironmentReader(environment)
            return (reader.logFormat("LOG_FORMAT"), reader.problems)
        }
        #expect(read(["LOG_FORMAT": "JSON"]) == (.json, []))
        #expect(read(["LOG_FORMAT": "text"]) == (.text, []))
        // Unset: JSON for a log pipeline (the tests' standard error is not a terminal).
        #expect(read([:]) == (LogFormat.forStandardError, []))
        #expect(read(["LOG_FORMAT": "xml"]).1 == [#"LOG_FORMAT must be json or text, got "xml""#])
    }

    @Test func unreadableTLSFilesAreConfigurationErrors() {
        let missing = HTTPTOMEClient.Configuration(
            baseURL: "https://tome.internal",
            tls: .init(caFile: "/nonexistent/ca.pem", certificateFile: "/nonexistent/cert.pem", privateKeyFile: "/nonexistent/key.pem")
        )
        let error = #expect(throws: ConfigurationError.self) { try HTTPTOMEClient(configuration: missing) }
        #expect(error?.problems.count == 3)
        #expect(error?.description.contains("/nonexistent/ca.pem") == true)
        let plain = HTTPTOMEClient.Configuration(baseURL: "http://tome.internal", tls: .init(caFile: "/x.pem"))
        #expect(throws: ConfigurationError.self) { try HTTPTOMEClient(configuration: plain) }
    }
}
