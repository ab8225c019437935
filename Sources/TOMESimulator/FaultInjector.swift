import Synchronization
import TOMEWire

/// Decides, call by call, which fault the simulator serves. Thread-safe.
final class FaultInjector: Sendable {
    /// What to do with one v1 call.
    struct Decision: Equatable {
        /// Answer with this status instead of serving the call.
        var rejectStatus: Int?
        /// The `Retry-After` to send with a 429.
        var retryAfterSeconds: Double?
        /// Serve the call, then spoil the answer like this.
        var fault: InjectedFault?
        /// Wait this long before answering.
        var delay: Duration
    }

    private struct State {
        var settings: FaultSettings
        var generator: SplitMix64
        var bucketTokens: Double
        var bucketRefilledAt: ContinuousClock.Instant
        var counts: [String: Int] = [:]
    }

    private let state: Mutex<State>

    init(settings: FaultSettings, seed: UInt64?) {
        var system = SystemRandomNumberGenerator()
        state = Mutex(
            State(
                settings: settings,
                generator: SplitMix64(seed: seed ?? system.next()),
                bucketTokens: settings.rateLimitPerSecond ?? 0,
                bucketRefilledAt: .now
            )
        )
    }

    var settings: FaultSettings {
        state.withLock { $0.settings }
    }

    func replace(_ settings: FaultSettings) {
        state.withLock {
            $0.settings = settings
            $0.bucketTokens = settings.rateLimitPerSecond ?? 0
            $0.bucketRefilledAt = .now
        }
    }

    /// Faults served so far, by label; the total is `faultsInjected` in the stats.
    var counts: [String: Int] {
        state.withLock { $0.counts }
    }

    func resetCounts() {
        state.withLock { $0.counts = [:] }
    }

    func decide(namespace: String, operation: TOMEOperation, now: ContinuousClock.Instant = .now) -> Decision {
        state.withLock { state in
            let settings = state.settings
            var decision = Decision(delay: Self.delay(settings, using: &state.generator))
            guard settings.namespaces?.contains(namespace) ?? true, settings.operations?.contains(operation) ?? true else {
                return decision
            }
            if let limit = settings.rateLimitPerSecond {
                // A token bucket of one second's worth of calls.
                let elapsed = now - state.bucketRefilledAt
                state.bucketTokens = min(limit, state.bucketTokens + limit * elapsed.seconds)
                state.bucketRefilledAt = now
                if state.bucketTokens < 1 {
                    state.counts["429", default: 0] += 1
                    decision.rejectStatus = 429
                    decision.retryAfterSeconds = max(settings.retryAfterSeconds, (1 - state.bucketTokens) / limit)
                    return decision
                }
                state.bucketTokens -= 1
            }
            let fault: InjectedFault?
            if !state.settings.nextFaults.isEmpty {
                // "pass" serves one call normally, so a script can let k calls through first.
                fault = InjectedFault(name: state.settings.nextFaults.removeFirst())
            } else {
                fault = Self.draw(settings, using: &state.generator)
            }
            guard let fault else { return decision }
            state.counts[fault.label, default: 0] += 1
            if case .status(let code) = fault {
                decision.rejectStatus = code
                decision.retryAfterSeconds = code == 429 || code == 503 ? settings.retryAfterSeconds : nil
            } else {
                decision.fault = fault
            }
            return decision
        }
    }

    private static func draw(_ settings: FaultSettings, using generator: inout SplitMix64) -> InjectedFault? {
        var roll = Double.random(in: 0..<1, using: &generator)
        for (status, rate) in settings.errorRates.sorted(by: { $0.key < $1.key }) {
            if roll < rate, let code = Int(status) { return .status(code) }
            roll -= rate
        }
        roll = Double.random(in: 0..<1, using: &generator)
        let spoilers: [(InjectedFault, Double)] = [
            (.wrongCount, settings.wrongCountRate), (.duplicateToken, settings.duplicateTokenRate),
            (.brokenJSON, settings.brokenJSONRate), (.hang, settings.hangRate),
        ]
        for (fault, rate) in spoilers {
            if roll < rate { return fault }
            roll -= rate
        }
        return nil
    }

    private static func delay(_ settings: FaultSettings, using generator: inout SplitMix64) -> Duration {
        guard settings.latencyMs > 0 || settings.jitterMs > 0 else { return .zero }
        let jitter = settings.jitterMs > 0 ? Int.random(in: -settings.jitterMs...settings.jitterMs, using: &generator) : 0
        return .milliseconds(max(0, settings.latencyMs + jitter))
    }
}

/// A small seedable generator, so a run with `--seed` serves the same faults again.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Duration {
    var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
