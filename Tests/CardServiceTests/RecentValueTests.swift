@testable import CardService
import Synchronization
import Testing

/// `/metrics` counts the pool and `/health/ready` checks the database at most once per interval,
/// however often they are polled.
@Suite("Recent values for /metrics and readiness")
struct RecentValueTests {
    @Test func callsWithinTheIntervalReuseTheLastReadAndALaterOneReadsAgain() async {
        let level = RecentValue<Int>(maxAge: .seconds(15))
        let reads = ScriptedReads<Int>([0, 7])
        let start = ContinuousClock.now
        #expect(await level.value(now: start, read: reads.next) == 0)
        // Within 15 s: the cached value, no read.
        #expect(await level.value(now: start + .seconds(14), read: reads.next) == 0)
        #expect(reads.calls == 1)
        // After it: read again.
        #expect(await level.value(now: start + .seconds(15), read: reads.next) == 7)
        #expect(reads.calls == 2)
    }

    @Test func aFailedReadKeepsTheLastValueAndIsTriedAgainOnTheNextCall() async {
        let level = RecentValue<Int>(maxAge: .seconds(15))
        let reads = ScriptedReads<Int>([nil, 3, nil, 5])
        let start = ContinuousClock.now
        #expect(await level.value(now: start, read: reads.next) == nil)
        #expect(await level.value(now: start + .seconds(1), read: reads.next) == 3)
        #expect(await level.value(now: start + .seconds(20), read: reads.next) == 3)
        // The failure did not count as a read: the next call reads again.
        #expect(await level.value(now: start + .seconds(21), read: reads.next) == 5)
        #expect(reads.calls == 4)
    }

    @Test func aFailedReadinessCheckIsKeptAndAnsweredAsSuch() async {
        let readiness = RecentValue<Bool>(maxAge: .seconds(2))
        let checks = ScriptedReads<Bool>([true, false, true])
        let start = ContinuousClock.now
        #expect(await readiness.value(now: start, read: checks.next) == true)
        // Older than the interval: checked again, and the failure is what the next polls hear.
        #expect(await readiness.value(now: start + .seconds(3), read: checks.next) == false)
        #expect(await readiness.value(now: start + .seconds(4), read: checks.next) == false)
        #expect(checks.calls == 2)
    }
}

/// Reads that answer the given values in turn, and count how often they were made.
private final class ScriptedReads<Value: Sendable>: Sendable {
    private let state: Mutex<(answers: [Value?], calls: Int)>

    init(_ answers: [Value?]) {
        state = Mutex((answers, 0))
    }

    var calls: Int { state.withLock { $0.calls } }

    @Sendable func next() async -> Value? {
        state.withLock { state in
            defer { state.calls += 1 }
            return state.answers[state.calls]
        }
    }
}
