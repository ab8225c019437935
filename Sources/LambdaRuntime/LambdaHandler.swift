/// What the run loop hands each event to.
///
/// It never throws: a failure is a `LambdaOutcome.failure`, which the loop reports before it
/// fetches the next event.
public protocol LambdaHandler: Sendable {
    func handle(_ invocation: LambdaInvocation, context: LambdaContext) async -> LambdaOutcome
}
