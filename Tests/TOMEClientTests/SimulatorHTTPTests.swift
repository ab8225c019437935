import ProcessConfiguration
import Testing
import TOMEClient
import TOMESimulator

/// The simulator's own HTTP surface: errors for bad requests and the admin API.
@Suite("Simulator over HTTP")
struct SimulatorHTTPTests {
    @Test func badRequestsGetTheDocumentedErrors() async throws {
        try await SimulatedTOME.withRunning { running in
            let base = running.url + "/v1/namespaces"
            let cases: [(String, String, String?, Int, String)] = [
                ("POST", "\(base)/NS1/tokens:issue", "{\"count\": 3", 400, "invalid_json"),
                ("POST", "\(base)/NS1/tokens:issue", nil, 400, "invalid_json"),
                ("POST", "\(base)/NS1/tokens:issue", "{\"count\": 0, \"requestId\": \"r\"}", 400, "invalid_count"),
                ("POST", "\(base)/NS1/tokens:issue", "{\"count\": 1001, \"requestId\": \"r\"}", 400, "batch_too_large"),
                ("POST", "\(base)/NS1/tokens:issue", "{\"count\": 1, \"requestId\": \"\"}", 400, "invalid_request_id"),
                ("POST", "\(base)/NS1/tokenize", "{\"values\": []}", 400, "invalid_count"),
                ("POST", "\(base)/NS1/tokenize", "{\"values\": [\"\"]}", 400, "invalid_value"),
                ("POST", "\(base)/NS1/detokenize", "{\"tokens\": 5}", 400, "invalid_json"),
                ("POST", "\(base)/NS7/tokenize", "{\"values\": [\"a\"]}", 404, "namespace_not_found"),
                ("GET", "\(base)/NS1/tokenize", nil, 405, "method_not_allowed"),
                ("DELETE", "\(base)/NS1", nil, 405, "method_not_allowed"),
                ("POST", "\(base)/NS1/tokens:burn", "{}", 404, "not_found"),
                ("GET", "\(running.url)/v2/anything", nil, 404, "not_found"),
                ("POST", "\(running.url)/admin/stats", nil, 405, "method_not_allowed"),
            ]
            for (method, url, body, status, code) in cases {
                let answer = try await raw(method, url, body: body)
                #expect(answer.status == status, "\(method) \(url)")
                #expect(answer.errorCode() == code, "\(method) \(url): \(answer.body)")
            }
        }
    }

    @Test func oversizedBodiesAre413() async throws {
        try await SimulatedTOME.withRunning { running in
            let huge = "{\"values\": [\"" + String(repeating: "x", count: 5 << 20) + "\"]}"
            let answer = try await raw("POST", running.url + "/v1/namespaces/NS1/tokenize", body: huge)
            #expect(answer.status == 413)
        }
    }

    @Test func faultsAreReplacedAndValidatedThroughTheAdminAPI() async throws {
        try await SimulatedTOME.withRunning { running in
            let faults = running.url + "/admin/faults"
            let typo = try await raw("PUT", faults, body: "{\"latencyMS\": 5}")
            #expect(typo.status == 400)
            #expect(typo.body.contains("latencyMS"))
            let outOfRange = try await raw("PUT", faults, body: "{\"errorRates\": {\"503\": 1.5, \"200\": 0.1}}")
            #expect(outOfRange.status == 400)
            #expect(outOfRange.body.contains("errorRates[503]"))
            #expect(outOfRange.body.contains("\\\"200\\\"") || outOfRange.body.contains("200"))

            let accepted = try await raw("PUT", faults, body: "{\"nextFaults\": [\"503\"], \"latencyMs\": 1}")
            #expect(accepted.status == 200)
            let issue = try await raw(
                "POST", running.url + "/v1/namespaces/NS1/tokens:issue", body: "{\"count\": 1, \"requestId\": \"a\"}"
            )
            #expect(issue.status == 503)
            #expect(issue.header("Retry-After") == "1")
            #expect(running.simulator.stats.faultsInjected == 1)

            let reset = try await raw("POST", running.url + "/admin/reset")
            #expect(reset.status == 200)
            #expect(running.simulator.stats.faultsInjected == 0)
            let current = try await raw("GET", faults)
            #expect(current.body.contains("\"latencyMs\":0"))
        }
    }

    @Test func statsCountCallsPerNamespaceAndOperation() async throws {
        try await withSimulatorAndClient { running, client in
            _ = try await client.issueTokens(namespace: "NS1", count: 1500 / 3, requestId: "a")
            _ = try await client.issueTokens(namespace: "NS1", count: 500, requestId: "b")
            _ = try await client.namespaceInfo(namespace: "NS2")
            let answer = try await raw("GET", running.url + "/admin/stats")
            #expect(answer.status == 200)
            #expect(answer.body.contains("\"tokensIssued\":1000"))
            let stats = running.simulator.stats
            #expect(stats.namespaces["NS1"] == NamespaceStats(tokensIssued: 1000, calls: ["issue": 2, "tokenize": 0, "detokenize": 0, "info": 0]))
            #expect(stats.namespaces["NS2"]?.calls["info"] == 1)
        }
    }

    @Test func invalidConfigurationIsRefusedWithEveryProblem() {
        var faults = FaultSettings()
        faults.hangRate = 2
        let configuration = SimulatedTOME.Configuration(port: 70_000, namespaces: ["NS1", "bad/name"], maxBatchSize: 0, faults: faults)
        let problems = configuration.problems()
        // hangRate 2 is out of range and also breaks the sum of the spoiler rates.
        #expect(problems.count == 5)
        for fragment in ["port", "bad/name", "batch size", "hangRate"] {
            #expect(problems.contains { $0.contains(fragment) }, "\(fragment) is not named")
        }
        #expect(throws: ConfigurationError.self) { try SimulatedTOME(configuration: configuration) }
    }
}
