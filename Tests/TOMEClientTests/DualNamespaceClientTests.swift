import Testing
import TOMEClient
import TOMESimulator

/// Approach 1 against the simulator: pairs agree with TOME, failures name their namespace.
@Suite("Dual-namespace orchestration")
struct DualNamespaceClientTests {
    @Test func mintedPairsResolveThroughTOME() async throws {
        try await withSimulatorAndClient { running, client in
            let dual = DualNamespaceClient(tome: client)
            let pairs = try await dual.mintPairs(count: 25, requestId: "mint-1")
            #expect(pairs.count == 25)
            #expect(Set(pairs.map(\.ns1Token)).count == 25)
            #expect(Set(pairs.map(\.ns2Token)).count == 25)
            let resolved = try await dual.resolve(references: pairs.map(\.ns2Token))
            for pair in pairs {
                #expect(resolved.resolved[pair.ns2Token] == pair.ns1Token)
            }
            let stats = running.simulator.stats
            #expect(stats.namespaces["NS1"]?.calls["issue"] == 1)
            #expect(stats.namespaces["NS2"]?.calls["tokenize"] == 1)
        }
    }

    @Test func largeMintsAreSplitIntoBatches() async throws {
        try await withSimulatorAndClient(simulator: .init(maxBatchSize: 100)) { running, client in
            let dual = DualNamespaceClient(tome: client, configuration: .init(maxBatchSize: 100))
            let pairs = try await dual.mintPairs(count: 250, requestId: "big")
            #expect(pairs.count == 250)
            #expect(Set(pairs).count == 250)
            #expect(running.simulator.stats.namespaces["NS1"]?.calls["issue"] == 3)
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 250)
        }
    }

    @Test func anNS2FailureNamesNS2AndARetryLeaksNoNS1Tokens() async throws {
        try await withSimulatorAndClient(retry: .none) { running, client in
            let dual = DualNamespaceClient(tome: client)
            var settings = FaultSettings()
            settings.errorRates = ["503": 1]
            settings.namespaces = ["NS2"]
            try running.simulator.setFaults(settings)
            let error = await #expect(throws: DualNamespaceError.self) {
                try await dual.mintPairs(count: 10, requestId: "half-way")
            }
            #expect(error?.namespace == "NS2")
            #expect(error?.isNS2 == true)
            #expect(error?.step == .tokenizeNS2)
            #expect(error?.isRetryable == true)
            #expect(error?.description.contains("NS2 (the NS2 namespace)") == true)

            try running.simulator.setFaults(FaultSettings())
            let pairs = try await dual.mintPairs(count: 10, requestId: "half-way")
            #expect(pairs.count == 10)
            // The NS1 tokens of the failed attempt were reused, not issued again.
            #expect(running.simulator.stats.namespaces["NS1"]?.tokensIssued == 10)
        }
    }

    @Test func anNS1FailureNamesNS1() async throws {
        try await withSimulatorAndClient(retry: .none) { running, client in
            try running.simulator.setFaults(nextFaults(["403"]))
            let error = await #expect(throws: DualNamespaceError.self) {
                try await DualNamespaceClient(tome: client).mintPair()
            }
            #expect(error?.namespace == "NS1")
            #expect(error?.isNS2 == false)
            #expect(error?.step == .issueNS1)
            #expect(error?.underlying.status == 403)
            #expect(running.simulator.stats.namespaces["NS2"]?.calls["tokenize"] == 0)
        }
    }

    @Test func tokenizeCorrelatesByValueNotByPosition() async throws {
        try await withSimulatorAndClient { _, client in
            let dual = DualNamespaceClient(tome: client, configuration: .init(maxBatchSize: 3))
            let values = ["v1", "v2", "v3", "v2", "v4", "v5"]
            let pairs = try await dual.tokenize(values: values)
            #expect(pairs.count == 5)
            let direct = try await client.tokenize(namespace: "NS1", values: ["v4"], requestId: "check")
            #expect(pairs["v4"]?.ns1Token == direct["v4"])
            let back = try await client.detokenize(namespace: "NS2", tokens: pairs.values.map(\.ns2Token))
            for (_, pair) in pairs {
                #expect(back.values[pair.ns2Token] == pair.ns1Token)
            }
            let single = try await dual.tokenize(value: "v3")
            #expect(single == pairs["v3"])
        }
    }

    @Test func unknownReferenceResolvesToNil() async throws {
        try await withSimulatorAndClient { _, client in
            let dual = DualNamespaceClient(tome: client)
            let pair = try await dual.mintPair()
            #expect(try await dual.resolve(reference: pair.ns2Token) == pair.ns1Token)
            #expect(try await dual.resolve(reference: "ns2_doesnotexist") == nil)
        }
    }

    @Test func namespaceCheckNamesTheMissingNamespace() async throws {
        try await withSimulatorAndClient(simulator: .init(namespaces: ["NS1"])) { _, client in
            let error = await #expect(throws: DualNamespaceError.self) {
                try await DualNamespaceClient(tome: client).checkNamespaces()
            }
            #expect(error?.namespace == "NS2")
            #expect(error?.step == .checkNamespace)
            #expect(error?.underlying.status == 404)
        }
        try await withSimulatorAndClient { _, client in
            let infos = try await DualNamespaceClient(tome: client).checkNamespaces()
            #expect(infos.ns1.name == "NS1")
            #expect(infos.ns2.name == "NS2")
        }
    }

    @Test func customNamespaceNamesAreUsed() async throws {
        try await withSimulatorAndClient(simulator: .init(namespaces: ["cards-internal", "cards-external"])) { running, client in
            let dual = DualNamespaceClient(
                tome: client,
                configuration: .init(ns1: "cards-internal", ns2: "cards-external")
            )
            let pair = try await dual.mintPair()
            #expect(try await dual.resolve(reference: pair.ns2Token) == pair.ns1Token)
            #expect(running.simulator.stats.namespaces["cards-internal"]?.tokensIssued == 1)
        }
    }
}
