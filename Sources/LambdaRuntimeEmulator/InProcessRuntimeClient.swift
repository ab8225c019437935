public import LambdaRuntime
import Synchronization

/// The Runtime API in process, for tests of the run loop with no network: the test queues events
/// and failures, and reads back what the loop posted, in order. It decides nothing: whether an
/// error ends the loop is `RuntimeAPIError.isFatal`, as with the real client.
public final class InProcessRuntimeClient: LambdaRuntimeClient {
    /// One post to the Runtime API, refused or not.
    public enum Post: Sendable, Equatable {
        case response(requestId: String, body: String)
        case error(requestId: String, LambdaErrorReport)
        case initError(LambdaErrorReport)
    }

    private enum Step: Sendable {
        case event(LambdaInvocation)
        case failure(RuntimeAPIError)
    }

    private struct State {
        var steps: [Step] = []
        var waiter: CheckedContinuation<Step?, Never>?
        var refusals: [Int] = []
        var posts: [Post] = []
        var polls = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Everything posted so far, in order, refused posts included.
    public var posts: [Post] { state.withLock { $0.posts } }

    /// How many times `next()` was called.
    public var polls: Int { state.withLock { $0.polls } }

    /// Queues an event, which a call of `next()` returns in turn.
    public func invoke(_ event: String, requestId: String, traceId: String? = nil, deadline: Duration = .seconds(60)) {
        let invocation = LambdaInvocation(requestId: requestId, deadline: .now + deadline, traceId: traceId, event: Array(event.utf8))
        enqueue(.event(invocation))
    }

    /// Queues a failure, which a call of `next()` throws in turn.
    public func failNext(_ error: RuntimeAPIError) {
        enqueue(.failure(error))
    }

    /// The next post (a response or an error report) is answered with `status` instead of 202.
    public func refuseNextPost(status: Int) {
        state.withLock { $0.refusals.append(status) }
    }

    /// Waits until `next()` has been called `count` times; false if that takes longer than `limit`.
    public func waitForPolls(_ count: Int, within limit: Duration = .seconds(10)) async -> Bool {
        let end = ContinuousClock.now + limit
        while polls < count {
            guard ContinuousClock.now < end else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// The next queued step, or a wait for one; cancellation ends the wait as no answer would.
    public func next() async throws(RuntimeAPIError) -> LambdaInvocation {
        let step = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Step?, Never>) in
                let ready: Step?? = state.withLock { state in
                    state.polls += 1
                    if !state.steps.isEmpty { return .some(state.steps.removeFirst()) }
                    // Checked under the lock, so a cancellation either sees the waiter or is seen here.
                    if Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
        switch step {
        case .event(let invocation): return invocation
        case .failure(let error): throw error
        case nil: throw .noAnswer(call: "next", detail: "cancelled")
        }
    }

    public func respond(requestId: String, body: [UInt8]) async throws(RuntimeAPIError) {
        try record(.response(requestId: requestId, body: String(decoding: body, as: UTF8.self)), call: "response")
    }

    public func reportError(requestId: String, _ report: LambdaErrorReport) async throws(RuntimeAPIError) {
        try record(.error(requestId: requestId, report), call: "error")
    }

    public func reportInitError(_ report: LambdaErrorReport) async throws(RuntimeAPIError) {
        try record(.initError(report), call: "init error")
    }

    private func enqueue(_ step: Step) {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.steps.append(step)
                return CheckedContinuation<Step?, Never>?.none
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: step)
    }

    private func record(_ post: Post, call: String) throws(RuntimeAPIError) {
        let refusal = state.withLock { state in
            state.posts.append(post)
            return state.refusals.isEmpty ? nil : state.refusals.removeFirst()
        }
        if let refusal { throw .status(refusal, call: call) }
    }
}
