#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The pool's figures as CloudWatch metrics, carried by the run's own JSON line in the Embedded
/// Metric Format: CloudWatch Logs turns the `_aws` block and the values beside it into metrics,
/// with no agent and no API call (a function in a VPC needs no endpoint for it).
///
/// `{"_aws": {"Timestamp": 1764392400000, "CloudWatchMetrics": [{"Namespace": "TomePool",
///   "Dimensions": [["Pool"]], "Metrics": [{"Name": "AvailablePairs", "Unit": "Count"}, …]}]},
///   "Pool": "tome-pool", "AvailablePairs": 9500, …, "status": "succeeded", …}`
public struct PoolMetrics: Sendable, Equatable {
    /// Where the metrics go: `METRICS_NAMESPACE` (default `TomePool`) and the `Pool` dimension
    /// (`POOL_NAME`, default `tome-pool`), so that several pools in one account stay apart.
    public struct Settings: Sendable, Equatable {
        public var namespace: String
        public var poolName: String

        public init(namespace: String = "TomePool", poolName: String = "tome-pool") {
            self.namespace = namespace
            self.poolName = poolName
        }
    }

    public var availablePairs: Int?
    public var poolTarget: Int?
    public var lowWatermark: Int?
    /// How long the available pairs last at the forecast demand (the last hour's pace without a forecast).
    public var coverHours: Double?
    public var pairsInserted: Int?
    public var expiredRemoved: Int?
    /// Fallbacks in the 5 minutes before the run: each top-up reports the window since the last one.
    public var fallbacksLastFiveMinutes: Int?
    public var fallbacksLastHour: Int?
    /// 1 when the invocation failed (a rejected event, a run that could not start or committed nothing).
    public var runFailed: Int

    public init(runFailed: Int) {
        self.runFailed = runFailed
    }

    /// The pool's figures, as a status report and a run's summary both tell them.
    init(
        runFailed: Int, available: Int?, target: Int?, lowWatermark: Int?, coverHours: Double?,
        fallbacks: (lastFiveMinutes: Int?, lastHour: Int?)
    ) {
        self.init(runFailed: runFailed)
        availablePairs = available
        poolTarget = target
        self.lowWatermark = lowWatermark
        self.coverHours = coverHours
        fallbacksLastFiveMinutes = fallbacks.lastFiveMinutes
        fallbacksLastHour = fallbacks.lastHour
    }

    /// Name, unit and value of each metric that has a value, in a fixed order.
    var values: [(name: String, unit: String, value: Double)] {
        let all: [(String, String, Double?)] = [
            ("AvailablePairs", "Count", availablePairs.map(Double.init)),
            ("PoolTarget", "Count", poolTarget.map(Double.init)),
            ("LowWatermark", "Count", lowWatermark.map(Double.init)),
            ("CoverHours", "None", coverHours),
            ("PairsInserted", "Count", pairsInserted.map(Double.init)),
            ("ExpiredRemoved", "Count", expiredRemoved.map(Double.init)),
            ("FallbacksLastFiveMinutes", "Count", fallbacksLastFiveMinutes.map(Double.init)),
            ("FallbacksLastHour", "Count", fallbacksLastHour.map(Double.init)),
            ("RunFailed", "Count", Double(runFailed)),
        ]
        return all.compactMap { name, unit, value in value.map { (name, unit, $0) } }
    }
}

extension JobResult {
    /// The metrics this answer carries.
    public func metrics() -> PoolMetrics {
        switch self {
        case .status(let report):
            return PoolMetrics(
                runFailed: 0, available: report.pool.available, target: report.target, lowWatermark: report.lowWatermark,
                coverHours: report.coverHours ?? report.hoursUntilEmpty,
                fallbacks: (report.pool.fallbacksLastFiveMinutes, report.pool.fallbacksLastHour)
            )
        case .refill(let summary):
            var metrics = PoolMetrics(
                runFailed: summary.status == .failed ? 1 : 0, available: summary.poolAfter, target: summary.target,
                lowWatermark: summary.lowWatermark, coverHours: summary.coverHours,
                fallbacks: (summary.fallbacksLastFiveMinutes, summary.fallbacksLastHour)
            )
            // A replay did nothing now; counting its pairs again would double the metric.
            metrics.pairsInserted = summary.replayed || summary.dryRun ? 0 : summary.pairsInserted
            metrics.expiredRemoved = summary.replayed ? 0 : summary.expiredRemoved
            return metrics
        case .migrated:
            // Says nothing of the pool; a run that did not fail.
            return PoolMetrics(runFailed: 0)
        case .rejected, .failed:
            return PoolMetrics(runFailed: 1)
        }
    }

    /// One JSON line: the answer with its metrics in the Embedded Metric Format, stamped now.
    public func json(metrics: PoolMetrics, settings: PoolMetrics.Settings) -> String {
        JSONLine.encode(WithMetrics(value: answer, metrics: metrics, settings: settings, time: Date()))
    }
}

/// A value and its metrics in one JSON object: both encode into the same keyed container.
private struct WithMetrics: Encodable {
    let value: any Encodable
    let metrics: PoolMetrics
    let settings: PoolMetrics.Settings
    let time: Date

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Directive: Encodable {
        struct Metric: Encodable {
            var Name: String
            var Unit: String
        }
        var Namespace: String
        var Dimensions: [[String]]
        var Metrics: [Metric]
    }

    struct Metadata: Encodable {
        var Timestamp: Int64
        var CloudWatchMetrics: [Directive]
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        let values = metrics.values
        let directive = Directive(
            Namespace: settings.namespace, Dimensions: [["Pool"]],
            Metrics: values.map { Directive.Metric(Name: $0.name, Unit: $0.unit) }
        )
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded())
        try container.encode(Metadata(Timestamp: milliseconds, CloudWatchMetrics: [directive]), forKey: Key("_aws"))
        try container.encode(settings.poolName, forKey: Key("Pool"))
        for metric in values {
            try container.encode(metric.value, forKey: Key(metric.name))
        }
    }
}
