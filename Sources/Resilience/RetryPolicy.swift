/// How a call is retried: bounded attempts, exponential backoff with full jitter, and
/// `Retry-After` honoured up to a cap. TOME calls and database transactions both use it, each
/// with its own values.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first one included. Default 4.
    public var maxAttempts: Int
    /// The backoff before the second attempt; it doubles with each attempt. Default 100 ms.
    public var baseDelay: Duration
    /// The longest backoff between two attempts. Default 2 s.
    public var maxDelay: Duration
    /// The longest `Retry-After` we wait for; a longer one ends the retries, so the caller
    /// (a job with a deadline, say) decides what to do. Default 10 s.
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(2),
        maxRetryAfter: Duration = .seconds(10)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// The longest this policy can wait between attempts in all: each wait at most the larger of
    /// its backoff ceiling and the longest `Retry-After` honoured.
    public var longestWaits: Duration {
        (1..<maxAttempts).reduce(Duration.zero) { total, attempt in
            total + max(maxRetryAfter, min(maxDelay, baseDelay * (1 << min(attempt - 1, 30))))
        }
    }

    /// One attempt and no retry.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// The wait before attempt `attempt + 1`, or nil when no retry should follow.
    public func delay<R: RandomNumberGenerator>(after attempt: Int, retryAfter: Duration?, using generator: inout R) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        if let retryAfter, retryAfter > maxRetryAfter { return nil }
        let exponent = min(attempt - 1, 30)
        let ceiling = min(maxDelay, baseDelay * (1 << exponent))
        let ceilingNanos = max(Int64(1), ceiling.nanoseconds)
        // Full jitter spreads retries of many callers that failed together.
        let jittered = Duration.nanoseconds(Int64.random(in: 0...ceilingNanos, using: &generator))
        guard let retryAfter else { return jittered }
        return max(retryAfter, jittered)
    }
}

extension Duration {
    /// The whole nanoseconds in this duration.
    public var nanoseconds: Int64 {
        let parts = components
        return parts.seconds * 1_000_000_000 + parts.attoseconds / 1_000_000_000
    }

    /// The whole milliseconds in this duration.
    public var milliseconds: Int64 { nanoseconds / 1_000_000 }
}
