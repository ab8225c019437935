import Hummingbird
import NIOCore
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The AWS Lambda Runtime API (2018-06-01) on loopback, as Lambda serves it to a custom runtime:
/// `next` long-polls for an event and answers with the invocation headers; `response`, `error`
/// and `init/error` answer 202; an unknown or already answered request id is 400, a response
/// over 6 MB is 413, and `failNextPoll(status:)` makes the next poll fail (500 ends a runtime).
public final class RuntimeAPIEmulator: Sendable {
    /// What the runtime answered for one invocation.
    public enum Answer: Sendable, Equatable {
        case response(String)
        /// The `Lambda-Runtime-Function-Error-Type` header, the content type and the body.
        case error(errorType: String?, contentType: String?, body: String)
    }

    struct Pending: Sendable {
        var requestId: String
        var event: [UInt8]
        var deadlineMs: Int64
        var traceId: String
    }

    private struct State {
        var queue: [Pending] = []
        var waiter: CheckedContinuation<Pending?, Never>?
        var inFlight: Set<String> = []
        var answers: [String: Answer] = [:]
        var initErrors: [Answer] = []
        var polls = 0
        var firstPollAt: ContinuousClock.Instant?
        var failNextPoll: Int?
        var counter = 0
    }

    private let state = Mutex(State())
    static let maxResponseBytes = 6 * 1024 * 1024

    public init() {}

    /// Queues an event; returns its request id. `timeout` becomes the `Lambda-Runtime-Deadline-Ms`
    /// header; by default the function's timeout in the template (900 s, Lambda's longest).
    @discardableResult
    public func invoke(_ event: String, timeout: Duration = .seconds(900)) -> String {
        let (seconds, attoseconds) = timeout.components
        let deadline = Self.epochMilliseconds() + seconds * 1000 + attoseconds / 1_000_000_000_000_000
        let pending: Pending = state.withLock { state in
            state.counter += 1
            return Pending(
                requestId: "req-\(state.counter)-\(UInt32.random(in: 0...UInt32.max))", event: Array(event.utf8),
                deadlineMs: deadline, traceId: "Root=1-\(String(state.counter, radix: 16))-abcdef;Parent=1;Sampled=0"
            )
        }
        let waiter: CheckedContinuation<Pending?, Never>? = state.withLock { state in
            state.inFlight.insert(pending.requestId)
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(pending)
            return nil
        }
        waiter?.resume(returning: pending)
        return pending.requestId
    }

    /// Waits up to `timeout` for the runtime's answer to `requestId`.
    public func answer(for requestId: String, timeout: Duration = .seconds(60)) async throws -> Answer {
        let limit = ContinuousClock.now + timeout
        while ContinuousClock.now < limit {
            if let answer = state.withLock({ $0.answers[requestId] }) { return answer }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw EmulatorTimeout(what: "an answer to \(requestId)")
    }

    /// Waits up to `timeout` for an init error.
    public func initError(timeout: Duration = .seconds(30)) async throws -> Answer {
        let limit = ContinuousClock.now + timeout
        while ContinuousClock.now < limit {
            if let answer = state.withLock({ $0.initErrors.first }) { return answer }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw EmulatorTimeout(what: "an init error")
    }

    /// How many times the runtime asked for the next event, and when it first did.
    public var polls: (count: Int, first: ContinuousClock.Instant?) {
        state.withLock { ($0.polls, $0.firstPollAt) }
    }

    /// The next `next` call answers with this status instead of an event.
    public func failNextPoll(status: Int) {
        state.withLock { $0.failNextPoll = status }
    }

    // MARK: Serving

    /// What one poll of `next` gets: an event, or a status to fail with.
    enum Poll: Sendable {
        case event(Pending)
        case status(Int)
    }

    func next() async -> Poll {
        let immediate: Poll? = state.withLock { state in
            state.polls += 1
            if state.firstPollAt == nil { state.firstPollAt = .now }
            if let status = state.failNextPoll {
                state.failNextPoll = nil
                return .status(status)
            }
            return state.queue.isEmpty ? nil : .event(state.queue.removeFirst())
        }
        if let immediate { return immediate }
        let pending = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Pending?, Never>) in
                // Cancellation may come before the waiter is stored, when onCancel finds nothing to
                // resume: checked under the same lock, so the poll never waits for good.
                let ready: Pending?? = state.withLock { state in
                    if !state.queue.isEmpty { return .some(state.queue.removeFirst()) }
                    if Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if case .some(let pending) = ready { continuation.resume(returning: pending) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Pending?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
        guard let pending else { return .status(500) }
        return .event(pending)
    }

    /// Records an answer; false when the request id is unknown or already answered.
    func record(_ answer: Answer, for requestId: String) -> Bool {
        state.withLock { state in
            guard state.inFlight.remove(requestId) != nil else { return false }
            state.answers[requestId] = answer
            return true
        }
    }

    func recordInitError(_ answer: Answer) {
        state.withLock { $0.initErrors.append(answer) }
    }

    static func epochMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

public struct EmulatorTimeout: Error, CustomStringConvertible {
    let what: String
    public var description: String { "the runtime sent no \(what) in time" }
}
