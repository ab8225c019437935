public import TOMEClient

extension RefillJob.Configuration {
    /// After a batch's last TOME answer: its commit, then the run's result and metrics.
    static let finishingAllowance: Duration = .seconds(5)

    /// The time a run keeps in hand before its caller's deadline unless `REFILL_DEADLINE_MARGIN_MS`
    /// says otherwise: the longest one batch can take (its NS1 issue, then its NS2 tokenize, each
    /// to the end of its retries) and the finishing allowance. A batch started just outside it ends,
    /// and the run answers with its summary, before Lambda stops the invocation; with the default
    /// TOME settings (4 attempts of 5 s, waits of up to 10 s) it is 2 × 50 s + 5 s = 105 s.
    public static func derivedDeadlineMargin(tome: HTTPTOMEClient.Configuration) -> Duration {
        tome.longestCall * 2 + finishingAllowance
    }
}
