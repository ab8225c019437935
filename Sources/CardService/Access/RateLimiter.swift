import Resilience
import Synchronization

/// Token buckets per client and budget, in this process. Concurrent requests take from one bucket
/// under a lock, so a burst of parallel calls is held to the limit as calls in a row are. With
/// several `card-app` tasks each keeps its own buckets: a client's total is the limit times the
/// number of tasks.
final class RateLimiter: Sendable {
    private struct Key: Hashable {
        var client: String
        var budget: Budget
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[Key: Bucket]>([:])

    /// Takes one call from the client's bucket; nil when admitted, otherwise how long until the
    /// bucket holds a call again. The limit is read at each call, so a reloaded clients file
    /// changes it at once.
    func admit(client: String, budget: Budget, limit: RateLimit, now: ContinuousClock.Instant = .now) -> Duration? {
        buckets.withLock { buckets in
            let key = Key(client: client, budget: budget)
            let capacity = Double(max(1, limit.burst))
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let seconds = Double((now - bucket.updated).nanoseconds) / 1e9
            bucket.tokens = min(capacity, bucket.tokens + max(0, seconds) * limit.ratePerSecond)
            bucket.updated = now
            defer { buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return .milliseconds(Int64(((1 - bucket.tokens) / max(limit.ratePerSecond, 1e-6) * 1000).rounded(.up)))
        }
    }
}
