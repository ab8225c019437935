import Hummingbird
import Logging
import NIOCore

/// Serves `responder` on a free loopback port, runs `body` with that port, and stops the server
/// when `body` returns or throws: what each emulator's `withServer` does.
func withLoopbackServer<Responder: HTTPResponder, Result: Sendable>(
    _ responder: Responder,
    logger: Logger,
    _ body: @Sendable (Int) async throws -> Result
) async throws -> Result where Responder.Context == BasicRequestContext {
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(
        responder: responder,
        configuration: .init(address: .hostname("127.0.0.1", port: 0)),
        onServerRunning: { channel in
            continuation.yield(channel.localAddress?.port ?? 0)
            continuation.finish()
        },
        logger: logger
    )
    return try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask {
            try await app.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw EmulatorTimeout(what: "listening port") }
        defer { group.cancelAll() }
        return try await body(port)
    }
}
