import ArgumentParser
import PrefetchJob
import ProcessConfiguration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `tome-prefetch simulate`: simulates a demand trace against the production sizing code, in
/// virtual time, and reports fallbacks and inventory against an oracle. Needs no database or TOME.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a demand trace against the pool's sizing: fallbacks, inventory, and the oracle's inventory.",
        discussion: """
            The trace is a CSV with the header timestamp,value (UTC, one fixed step from 1 minute to 1 hour);
            values are relative demand, scaled so that the busiest clock hour is --peak-hour cards. The job's
            variables (POOL_SIZING, POOL_COVER_HOURS, POOL_TARGET, POOL_TARGET_MIN/MAX, POOL_HISTORY_DAYS,
            POOL_PAIR_TTL_HOURS, REFILL_MAX_PAIRS, TOME_BATCH_SIZE, TOME_CONCURRENCY, TOME_REQUEST_TIMEOUT_MS)
            apply as deployed; the flags below override them.
            """
    )

    @Option(help: "The demand trace (CSV: timestamp,value).") var demand: String
    @Option(help: "Cards in the trace's busiest clock hour.") var peakHour: Int
    @Option(help: "forecast or static (default: POOL_SIZING, else forecast).") var policy: String?
    @Option(help: "POOL_TARGET: the static target, and the forecast's target before any history.") var target: Int?
    @Option(help: "A TOME outage START,HOURS (START: ISO 8601 UTC inside the trace); may repeat.") var outage: [String] = []
    @Flag(help: "Hourly refills only, no 5-minute top-ups: the job as it was before top-ups.") var noTopUps = false
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        guard peakHour >= 1 else { throw ValidationError("--peak-hour must be at least 1") }
        if let policy, SizingPolicy.Mode(rawValue: policy) == nil { throw ValidationError("--policy must be forecast or static, got \"\(policy)\"") }
        if let target, target < 0 { throw ValidationError("--target must be 0 or more") }
        _ = try outages()
    }

    func run() throws {
        var environment = ProcessEnvironment.all()
        if let policy { environment["POOL_SIZING"] = policy }
        if let target { environment["POOL_TARGET"] = String(target) }
        let sizing = try invalid("") { try SizingPolicy(environment: environment) }
        let text = try invalid("cannot read the demand trace \(demand): ") { try String(contentsOfFile: demand, encoding: .utf8) }
        let trace = try invalid("\(demand): ") { try DemandTrace(csv: text) }
        let report = try invalid("") {
            try DemandSimulator(policy: sizing, topUps: !noTopUps).run(trace, peakHour: peakHour, outages: try outages())
        }
        print(json ? report.json() : report.text(policy: sizing.settings.mode.rawValue))
    }

    /// `body`'s answer, or its error as a usage error (exit 64) that starts with `prefix`.
    private func invalid<Value>(_ prefix: String, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as ValidationError {
            throw error
        } catch {
            throw ValidationError(prefix + Self.describe(error))
        }
    }

    /// A file error as the system words it; any other error as it describes itself.
    private static func describe(_ error: any Error) -> String {
        error is CocoaError ? error.localizedDescription : "\(error)"
    }

    /// The `--outage` flags, each START,HOURS.
    private func outages() throws -> [DemandSimulator.Outage] {
        try outage.map { flag in
            let parts = flag.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let start = DemandTrace.parseTime(String(parts[0])), let hours = Double(parts[1]), hours > 0, hours <= 168 else {
                throw ValidationError("--outage must be START,HOURS with START an ISO 8601 UTC time and 0 < HOURS <= 168, got \"\(flag)\"")
            }
            return DemandSimulator.Outage(start: Date(timeIntervalSince1970: Double(start)), hours: hours)
        }
    }
}
