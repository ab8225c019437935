/// The Runtime API as the run loop sees it: `RuntimeAPIClient` over HTTP in a function, an
/// in-process double in tests.
///
/// Every call throws a `RuntimeAPIError`, whose `isFatal` is the loop's rule: a fatal error ends
/// the loop, any other refuses one answer and the loop goes on.
public protocol LambdaRuntimeClient: Sendable {
    /// Waits for the next event.
    func next() async throws(RuntimeAPIError) -> LambdaInvocation
    /// Posts an invocation's response.
    func respond(requestId: String, body: [UInt8]) async throws(RuntimeAPIError)
    /// Posts an invocation's error: Lambda counts the invocation as failed.
    func reportError(requestId: String, _ report: LambdaErrorReport) async throws(RuntimeAPIError)
    /// Tells Lambda that start-up failed; called instead of the first `next`.
    func reportInitError(_ report: LambdaErrorReport) async throws(RuntimeAPIError)
}
