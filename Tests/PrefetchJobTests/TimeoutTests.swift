import PoolDatabase
import Synchronization
import Testing

/// `withTimeout` is what turns a database that went away into an error instead of a hang.
@Suite("Database timeouts")
struct TimeoutTests {
    @Test func aTimeoutDoesNotWaitForWorkThatIgnoresCancellation() async {
        let finished = Flag()
        await #expect(throws: DatabaseTimeout.self) {
            try await withTimeout(.milliseconds(50)) {
                // Like a query on a connection whose server vanished: deaf to cancellation.
                let end = ContinuousClock.now + .seconds(5)
                while ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(10)) }
                finished.raise()
            }
        }
        // Answered while the work still runs: the caller was not kept waiting for it.
        let workFinished = finished.isRaised
        #expect(!workFinished)
    }

    @Test func workThatFinishesInTimeGivesItsResultOrError() async throws {
        #expect(try await withTimeout(.seconds(5)) { 42 } == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await withTimeout(.seconds(5)) { throw Refused() } }
    }

    @Test func cancellingTheCallerEndsTheWait() async {
        let waiting = Task { try await withTimeout(.seconds(60)) { try await Task.sleep(for: .seconds(60)) } }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}

private final class Flag: Sendable {
    private let raised = Atomic<Bool>(false)
    var isRaised: Bool { raised.load(ordering: .relaxed) }
    func raise() { raised.store(true, ordering: .relaxed) }
}
