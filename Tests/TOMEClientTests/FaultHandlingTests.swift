import Testing
import TOMEClient
import TOMESimulator
import TestSupport

/// Every fault the simulator can serve, and what the client does with it.
@Suite("Client under simulator faults")
struct FaultHandlingTests {
    @Test(arguments: ["500", "502", "503", "504", "429", "wrongCount", "duplicateToken", "brokenJSON"])
    func transientFaultIsRetriedAndTheAnswerIsClean(fault: String) async throws {
        try await withSimulatorAndClient { running, client in
            try running.simulator.setFaults(nextFaults([fault]))
            let tokens = try await client.issueTokens(namespace: "NS1", count: 20, requestId: "retry-\(fault)")
            #expect(tokens.count == 20)
            #expect(Set(tokens).count == 20)
            let stats = running.simulator.stats
            #expect(stats.namespaces["NS1"]?.calls["issue"] == 2)
            #expect(stats.faults[fault] == 1)
            // The retry reused the request id, so the spoiled first answer leaked no tokens.
            #expect(stats.namespaces["NS1"]?.tokensIssued == 20)
        }
    }

    @Test(arguments: ["wrongCount", "duplicateToken", "brokenJSON"])
    func persistentlyMalformedAnswersAreAnErrorNeverPassedOn(fault: String) async throws {
        try await withSimulatorAndClient { running, client in
            try running.simulator.setFaults(nextFaults(Array(repeating: fault, count: 10)))
            let error = await #expect(throws: TOMEError.self) {
                try await client.tokenize(namespace: "NS2", values: ["a", "b", "c"], requestId: "bad")
            }
            #expect(error?.kind == .invalidAnswer)
            #expect(error?.attempts == quickRetry.maxAttempts)
            #expect(running.simulator.stats.namespaces["NS2"]?.calls["tokenize"] == quickRetry.maxAttempts)
        }
    }

    @Test func malformedDetokenizeAnswersAreCaught() async throws {
        try await withSimulatorAndClient(retry: .none) { running, client in
            let mapped = try await client.tokenize(namespace: "NS2", values: ["a", "b"], requestId: "m")
            for fault in ["wrongCount", "duplicateToken", "brokenJSON"] {
                try running.simulator.setFaults(nextFaults([fault]))
                let error = await #expect(throws: TOMEError.self) {
                    try await client.detokenize(namespace: "NS2", tokens: Array(mapped.values))
                }
                #expect(error?.kind == .invalidAnswer, "fault \(fault)")
            }
        }
    }

    @Test func serverErrorsThatPersistEndRetryableAfterEveryAttempt() async throws {
        var settings = FaultSettings()
        settings.errorRates = ["503": 1]
        try await withSimulatorAndClient(simulator: .init(faults: settings)) { running, client in
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 5, requestId: "down")
            }
            #expect(error?.kind == .unavailable)
            #expect(error?.status == 503)
            #expect(error?.isRetryable == true)
            #expect(error?.attempts == 4)
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["issue"] == 4)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 0)
        }
    }

    @Test(arguments: [400, 401, 403, 404, 409])
    func clientErrorsAreNotRetried(status: Int) async throws {
        try await withSimulatorAndClient { running, client in
            try running.simulator.setFaults(nextFaults([String(status)]))
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 1, requestId: "once")
            }
            #expect(error?.status == status)
            #expect(error?.kind == .rejected)
            #expect(error?.isRetryable == false)
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["issue"] == 1)
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        let settings = nextFaults(["429"], retryAfterSeconds: 0.3)
        try await withSimulatorAndClient { running, client in
            try running.simulator.setFaults(settings)
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await client.issueTokens(namespace: "NS1", count: 1, requestId: "slow-down")
            // A lower bound only: the client must not come back before TOME said it may.
            #expect(clock.now - started >= .milliseconds(300))
        }
    }

    @Test func retryAfterBeyondTheCapEndsRetriesAndReportsTheDelay() async throws {
        let settings = nextFaults(["429"], retryAfterSeconds: 120)
        try await withSimulatorAndClient { running, client in
            try running.simulator.setFaults(settings)
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 1, requestId: "much-later")
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(120))
            #expect(error?.attempts == 1)
        }
    }

    @Test func rateLimitAnswers429ThenRecovers() async throws {
        var settings = FaultSettings()
        settings.rateLimitPerSecond = 4
        settings.retryAfterSeconds = 0.05
        let retry = RetryPolicy(maxAttempts: 30, baseDelay: .milliseconds(20), maxDelay: .milliseconds(200), maxRetryAfter: .seconds(2))
        try await withSimulatorAndClient(simulator: .init(faults: settings), retry: retry) { running, client in
            // Twelve calls at once against a bucket of four: some must be told to wait.
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<12 {
                    group.addTask { try await client.issueTokens(namespace: "NS1", count: 1, requestId: "rl\(index)").count }
                }
                for try await count in group { #expect(count == 1) }
            }
            #expect((running.simulator.stats.faults["429"] ?? 0) > 0)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 12)
        }
    }

    @Test func hangTimesOutAndTheRetrySucceedsWithTheSameTokens() async throws {
        // The timeout leaves a busy two-core machine room to answer the retries; the hang outlasts it.
        try await withSimulatorAndClient(requestTimeout: .milliseconds(2_500)) { running, client in
            try running.simulator.setFaults(nextFaults(["hang"], hangMs: 8_000))
            let tokens = try await client.issueTokens(namespace: "NS1", count: 7, requestId: "hung")
            #expect(tokens.count == 7)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 7)
            #expect(running.simulator.stats.faults["hang"] == 1)
        }
    }

    @Test func hangWithoutRetriesIsATimeout() async throws {
        try await withSimulatorAndClient(retry: .none, requestTimeout: .milliseconds(200)) { running, client in
            try running.simulator.setFaults(nextFaults(["hang"], hangMs: 3_000))
            let error = await #expect(throws: TOMEError.self) {
                try await client.namespaceInfo(namespace: "NS1")
            }
            #expect(error?.kind == .timeout)
            #expect(error?.isRetryable == true)
        }
    }

    @Test func unreachableTOMEIsATransportError() async throws {
        // Port 1 on loopback: nothing listens there, so the connection is refused.
        let configuration = HTTPTOMEClient.Configuration(baseURL: "http://127.0.0.1:1", retry: quickRetry)
        try await HTTPTOMEClient.withClient(configuration: configuration) { client in
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 1, requestId: "nowhere")
            }
            #expect(error?.kind == .transport || error?.kind == .timeout)
            #expect(error?.isRetryable == true)
            #expect(error?.attempts == 4)
        }
    }

    @Test func faultsCanBeAimedAtOneNamespace() async throws {
        let settings = {
            var settings = FaultSettings()
            settings.errorRates = ["500": 1]
            settings.namespaces = ["NS2"]
            return settings
        }()
        try await withSimulatorAndClient(retry: .none) { running, client in
            try running.simulator.setFaults(settings)
            #expect(try await client.issueTokens(namespace: "NS1", count: 1, requestId: "fine").count == 1)
            await #expect(throws: TOMEError.self) {
                try await client.tokenize(namespace: "NS2", values: ["x"], requestId: "broken")
            }
        }
    }

    @Test func errorDescriptionsAndLogsNeverCarryTokensOrValues() async throws {
        let logs = LogCapture()
        try await withSimulatorAndClient(retry: .none, logger: logs.logger) { running, client in
            let secretValue = "4111111111111111"
            for fault in ["wrongCount", "duplicateToken", "brokenJSON", "503"] {
                try running.simulator.setFaults(nextFaults([fault]))
                let error = await #expect(throws: TOMEError.self) {
                    try await client.tokenize(namespace: "NS1", values: [secretValue, "other"], requestId: "d")
                }
                let text = error.map { "\($0)" } ?? ""
                #expect(!text.contains(secretValue))
                #expect(!text.contains("ns1_"))
                #expect(text.contains("NS1"))
            }
        }
        #expect(logs.lines.count == 4)
        #expect(!logs.lines.contains { $0.contains("4111111111111111") || $0.contains("ns1_") })
    }
}
