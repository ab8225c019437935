import LambdaRuntime
import LambdaRuntimeEmulator
import Logging
import ServiceLifecycle
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The run loop driven by an in-process Runtime API: no network, no binary. Serialized, as the
/// loop sets `_X_AMZN_TRACE_ID` in the process's environment.
@Suite("The Lambda run loop", .serialized)
struct RunLoopTests {
    /// Answers each event as the test's closure says.
    struct Handler: LambdaHandler {
        let answer: @Sendable (LambdaInvocation, LambdaContext) async -> LambdaOutcome

        func handle(_ invocation: LambdaInvocation, context: LambdaContext) async -> LambdaOutcome {
            await answer(invocation, context)
        }
    }

    /// A handler that answers `echo <event>`.
    static let echo = Handler { invocation, _ in .response(Array("echo \(String(decoding: invocation.event, as: UTF8.self))".utf8)) }

    /// Serves the queued events until the Runtime API stops answering, which must end the loop with a throw.
    static func serveQueued(_ client: InProcessRuntimeClient, handler: Handler, logs: LogCapture = LogCapture()) async {
        client.failNext(.noAnswer(call: "next", detail: "no more events in this test"))
        await #expect(throws: RuntimeAPIError.self) {
            try await LambdaRunLoop(client: client, handler: handler, logger: logs.logger).run()
        }
    }

    @Test func eachEventGetsItsResponseInOrder() async {
        let client = InProcessRuntimeClient()
        client.invoke("one", requestId: "req-1")
        client.invoke("two", requestId: "req-2")
        await Self.serveQueued(client, handler: Self.echo)
        #expect(client.posts == [.response(requestId: "req-1", body: "echo one"), .response(requestId: "req-2", body: "echo two")])
        #expect(client.polls == 3)
    }

    @Test func eachInvocationHasItsTraceIdAndItsRequestIdOnEveryLogLine() async {
        let client = InProcessRuntimeClient()
        client.invoke("traced", requestId: "req-1", traceId: "Root=1-abc")
        client.invoke("untraced", requestId: "req-2")
        let logs = LogCapture()
        let handler = Handler { _, context in
            context.logger.info("handling")
            return .response(Array((getenv("_X_AMZN_TRACE_ID").map { String(cString: $0) } ?? "none").utf8))
        }
        await Self.serveQueued(client, handler: handler, logs: logs)
        #expect(client.posts == [.response(requestId: "req-1", body: "Root=1-abc"), .response(requestId: "req-2", body: "none")])
        let handling = logs.lines.filter { $0.contains("handling") }
        #expect(handling.count == 2)
        #expect(handling.first?.contains("req-1") == true)
        #expect(handling.last?.contains("req-2") == true)
    }

    @Test func aFailureIsReportedWithItsErrorTypeAndTheLoopGoesOn() async {
        let client = InProcessRuntimeClient()
        client.invoke("bad", requestId: "req-1")
        client.invoke("good", requestId: "req-2")
        let report = LambdaErrorReport(errorType: "InvalidEvent", errorMessage: "unknown action")
        let handler = Handler { invocation, _ in
            invocation.requestId == "req-1" ? .failure(report) : .response(Array("fine".utf8))
        }
        await Self.serveQueued(client, handler: handler)
        #expect(client.posts == [.error(requestId: "req-1", report), .response(requestId: "req-2", body: "fine")])
    }

    @Test func aResponseOverSixMegabytesIsReportedAsResponseTooLarge() async throws {
        let client = InProcessRuntimeClient()
        client.invoke("big", requestId: "req-1")
        client.invoke("limit", requestId: "req-2")
        let handler = Handler { invocation, _ in
            let size = RuntimeAPIClient.maxResponseBytes + (invocation.requestId == "req-1" ? 1 : 0)
            return .response([UInt8](repeating: UInt8(ascii: "x"), count: size))
        }
        let logs = LogCapture()
        await Self.serveQueued(client, handler: handler, logs: logs)
        let posts = client.posts
        try #require(posts.count == 2)
        guard case .error(let requestId, let report) = posts.first else {
            Issue.record("the oversized response was posted as \(String(describing: posts.first))")
            return
        }
        #expect(requestId == "req-1")
        #expect(report.errorType == "Runtime.ResponseTooLarge")
        #expect(report.errorMessage.contains("\(RuntimeAPIClient.maxResponseBytes + 1) bytes"))
        #expect(posts.last == .response(requestId: "req-2", body: String(repeating: "x", count: RuntimeAPIClient.maxResponseBytes)))
        #expect(logs.lines.contains { $0.contains("6 MB limit") && $0.contains("req-1") })
    }

    @Test(arguments: [500, nil])
    func aFatalErrorFromNextEndsTheLoopWithAThrow(status: Int?) async {
        let client = InProcessRuntimeClient()
        client.failNext(status.map { .status($0, call: "next") } ?? .noAnswer(call: "next", detail: "connection refused"))
        client.invoke("never served", requestId: "req-1")
        let logs = LogCapture()
        let error = await #expect(throws: RuntimeAPIError.self) {
            try await LambdaRunLoop(client: client, handler: Self.echo, logger: logs.logger).run()
        }
        #expect(error?.status == status)
        #expect(client.posts.isEmpty)
        #expect(client.polls == 1)
        #expect(logs.lines.contains { $0.hasPrefix("critical") && $0.contains("the Runtime API failed") })
    }

    @Test func a500ToAnAnswerEndsTheLoopWithAThrow() async {
        let client = InProcessRuntimeClient()
        client.refuseNextPost(status: 500)
        client.invoke("one", requestId: "req-1")
        client.invoke("never served", requestId: "req-2")
        let error = await #expect(throws: RuntimeAPIError.self) {
            try await LambdaRunLoop(client: client, handler: Self.echo, logger: LogCapture().logger).run()
        }
        #expect(error?.status == 500)
        #expect(client.posts == [.response(requestId: "req-1", body: "echo one")])
        #expect(client.polls == 1)
    }

    @Test(arguments: [400, 403, 413])
    func aRefusedAnswerIsLoggedAndTheLoopGoesOn(status: Int) async {
        let client = InProcessRuntimeClient()
        client.refuseNextPost(status: status)
        client.invoke("one", requestId: "req-1")
        client.invoke("two", requestId: "req-2")
        let logs = LogCapture()
        await Self.serveQueued(client, handler: Self.echo, logs: logs)
        #expect(client.posts == [.response(requestId: "req-1", body: "echo one"), .response(requestId: "req-2", body: "echo two")])
        let refused = logs.lines.filter { $0.contains("the Runtime API refused the answer") }
        #expect(refused.count == 1)
        #expect(refused.first?.contains("HTTP \(status)") == true)
        #expect(refused.first?.contains("req-1") == true)
    }

    @Test(.timeLimit(.minutes(1)))
    func gracefulShutdownWhileBusyLetsTheInvocationAnswerFirst() async throws {
        let client = InProcessRuntimeClient()
        client.invoke("slow", requestId: "req-1")
        client.invoke("queued", requestId: "req-2")
        let (started, start) = AsyncStream.makeStream(of: Void.self)
        let (released, release) = AsyncStream.makeStream(of: Never.self)
        let handler = Handler { _, _ in
            start.yield()
            for await _ in released {}
            // A shutdown that cancelled the handler would show in the answer.
            return .response(Array((Task.isCancelled ? "cancelled" : "finished").utf8))
        }
        let loop = LambdaRunLoop(client: client, handler: handler, logger: LogCapture().logger)
        let services = ServiceGroup(services: [loop], logger: LogCapture().logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            for await _ in started { break }
            await services.triggerGracefulShutdown()
            try await Task.sleep(for: .milliseconds(100))
            #expect(client.posts.isEmpty, "the loop answered before the handler finished")
            release.finish()
            try await group.next()
        }
        #expect(client.posts == [.response(requestId: "req-1", body: "finished")])
        #expect(client.polls == 1, "the loop fetched another event after the shutdown")
    }

    @Test(.timeLimit(.minutes(1)))
    func gracefulShutdownWhileIdleReturnsPromptly() async throws {
        let client = InProcessRuntimeClient()
        let logs = LogCapture()
        let loop = LambdaRunLoop(client: client, handler: Self.echo, logger: logs.logger)
        let services = ServiceGroup(services: [loop], logger: LogCapture().logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            #expect(await client.waitForPolls(1))
            let shutdown = ContinuousClock.now
            await services.triggerGracefulShutdown()
            try await group.next()
            #expect(ContinuousClock.now - shutdown < .seconds(2))
        }
        #expect(client.posts.isEmpty)
        #expect(logs.lines.contains { $0.contains("shutting down") })
    }
}
