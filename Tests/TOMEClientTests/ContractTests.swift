import Testing
import TOMEClient
import TOMESimulator

/// The v1 contract as the client sees it, over real HTTP against the in-process simulator.
@Suite("TOME v1 contract")
struct ContractTests {
    @Test func issueReturnsFreshDistinctTokens() async throws {
        try await withSimulatorAndClient { running, client in
            let first = try await client.issueTokens(namespace: "NS1", count: 50, requestId: "r1")
            let second = try await client.issueTokens(namespace: "NS1", count: 50, requestId: "r2")
            #expect(first.count == 50)
            #expect(Set(first + second).count == 100)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 100)
        }
    }

    @Test func issueIsIdempotentPerRequestId() async throws {
        try await withSimulatorAndClient { running, client in
            let first = try await client.issueTokens(namespace: "NS1", count: 10, requestId: "same")
            let again = try await client.issueTokens(namespace: "NS1", count: 10, requestId: "same")
            #expect(first == again)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 10)
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["issue"] == 2)
        }
    }

    @Test func reusingARequestIdWithAnotherCountIsAConflict() async throws {
        try await withSimulatorAndClient { _, client in
            _ = try await client.issueTokens(namespace: "NS1", count: 10, requestId: "same")
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 11, requestId: "same")
            }
            #expect(error?.status == 409)
            #expect(error?.serverCode == "request_id_conflict")
            #expect(error?.isRetryable == false)
        }
    }

    @Test func tokenizeIsConvergentAndDetokenizeReversesIt() async throws {
        try await withSimulatorAndClient { _, client in
            let first = try await client.tokenize(namespace: "NS2", values: ["a", "b", "a"], requestId: "t1")
            let second = try await client.tokenize(namespace: "NS2", values: ["b", "a"], requestId: "t2")
            #expect(first.count == 2)
            #expect(first == second)
            let back = try await client.detokenize(namespace: "NS2", tokens: [first["a"]!, first["b"]!, "ns2_unknown"])
            #expect(back.values == [first["a"]!: "a", first["b"]!: "b"])
            #expect(back.unknown == ["ns2_unknown"])
        }
    }

    @Test func namespacesAreSeparate() async throws {
        try await withSimulatorAndClient { _, client in
            let inNS1 = try await client.tokenize(namespace: "NS1", values: ["v"], requestId: "x")
            let inNS2 = try await client.tokenize(namespace: "NS2", values: ["v"], requestId: "x")
            #expect(inNS1["v"] != inNS2["v"])
            let crossed = try await client.detokenize(namespace: "NS2", tokens: [inNS1["v"]!])
            #expect(crossed.unknown == [inNS1["v"]!])
        }
    }

    @Test func namespaceInfoAndUnknownNamespace() async throws {
        try await withSimulatorAndClient(simulator: .init(maxBatchSize: 250)) { _, client in
            let info = try await client.namespaceInfo(namespace: "NS2")
            #expect(info == NamespaceInfo(name: "NS2", exists: true, maxBatchSize: 250))
            let error = await #expect(throws: TOMEError.self) {
                try await client.namespaceInfo(namespace: "NS9")
            }
            #expect(error?.status == 404)
            #expect(error?.kind == .rejected)
            #expect(error?.serverCode == "namespace_not_found")
            #expect(error?.attempts == 1)
        }
    }

    @Test func batchTooLargeIsRejectedWithoutRetry() async throws {
        try await withSimulatorAndClient(simulator: .init(maxBatchSize: 100)) { running, client in
            let error = await #expect(throws: TOMEError.self) {
                try await client.issueTokens(namespace: "NS1", count: 101, requestId: "big")
            }
            #expect(error?.status == 400)
            #expect(error?.serverCode == "batch_too_large")
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["issue"] == 1)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 0)
        }
    }

    @Test func invalidArgumentsAreRefusedBeforeAnyCall() async throws {
        try await withSimulatorAndClient { running, client in
            await #expect(throws: TOMEError.self) { try await client.issueTokens(namespace: "NS1", count: 0, requestId: "r") }
            await #expect(throws: TOMEError.self) { try await client.issueTokens(namespace: "NS1", count: 1, requestId: "") }
            await #expect(throws: TOMEError.self) { try await client.tokenize(namespace: "NS1", values: [], requestId: "r") }
            await #expect(throws: TOMEError.self) { try await client.tokenize(namespace: "NS1", values: [""], requestId: "r") }
            await #expect(throws: TOMEError.self) { try await client.detokenize(namespace: "NS1", tokens: []) }
            let error = await #expect(throws: TOMEError.self) { try await client.namespaceInfo(namespace: "../admin") }
            #expect(error?.kind == .invalidArgument)
            let calls = running.simulator.stats.namespaces.values.flatMap(\.calls.values).reduce(0, +)
            #expect(calls == 0)
        }
    }

    @Test func bearerTokenIsRequiredWhenConfigured() async throws {
        let configuration = SimulatedTOME.Configuration(authToken: "s3cret-token")
        try await withSimulatorAndClient(simulator: configuration) { running, client in
            #expect(try await client.issueTokens(namespace: "NS1", count: 1, requestId: "ok").count == 1)
            let wrong = try HTTPTOMEClient(configuration: .init(baseURL: running.url, authToken: "wrong", retry: quickRetry))
            let error = await #expect(throws: TOMEError.self) {
                try await wrong.issueTokens(namespace: "NS1", count: 1, requestId: "no")
            }
            #expect(error?.status == 401)
            #expect(error?.isRetryable == false)
            #expect(!(error?.description.contains("wrong") ?? true))
            try await wrong.shutdown()
        }
    }

    @Test func manyParallelIssuesNeverRepeatAToken() async throws {
        // 200 parallel calls of 50 tokens: 10,000 tokens, all distinct.
        try await withSimulatorAndClient { running, client in
            let tokens = try await withThrowingTaskGroup(of: [String].self) { group in
                for index in 0..<200 {
                    group.addTask { try await client.issueTokens(namespace: "NS1", count: 50, requestId: "p\(index)") }
                }
                var all: [String] = []
                for try await batch in group { all += batch }
                return all
            }
            #expect(tokens.count == 10_000)
            #expect(Set(tokens).count == 10_000)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 10_000)
        }
    }
}
