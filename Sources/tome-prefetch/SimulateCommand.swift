import ArgumentParser
import PrefetchJob
import ProcessConfiguration

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `tome-prefetch simulate`: simulates a demand trace, or the demand this pool recorded, against
/// the production sizing code, in virtual time, and reports fallbacks and inventory against an
/// oracle, or compares outage covers. Needs no TOME; `--from-database` only reads the database.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a demand trace against the pool's sizing: fallbacks, inventory, and the oracle's inventory.",
        discussion: """
            The trace is a CSV with the header timestamp,value (UTC, one fixed step from 1 minute to 1 hour);
            values are relative demand, scaled so that the busiest clock hour is --peak-hour cards. With
            --from-database, the trace is the cards this pool recorded per 5 minutes over POOL_HISTORY_DAYS,
            as the forecast reads them, taken as they are unless --peak-hour scales them. The job's
            variables (POOL_SIZING, POOL_COVER_HOURS, POOL_TARGET, POOL_TARGET_MIN/MAX, POOL_HISTORY_DAYS,
            POOL_PAIR_TTL_HOURS, REFILL_MAX_PAIRS, TOME_BATCH_SIZE, TOME_CONCURRENCY, TOME_REQUEST_TIMEOUT_MS)
            apply as deployed; the flags below override them. --cover-hours prints one row per cover instead.
            Exit status: 0 simulated, 64 a usage error (named), 2 a setting, 4 the database.
            """
    )

    @Option(help: "The demand trace (CSV: timestamp,value).") var demand: String?
    @Flag(help: "Replay the assignments this pool recorded (DATABASE_URL; reads only).") var fromDatabase = false
    @Option(help: "Cards in the trace's busiest clock hour (required with --demand).") var peakHour: Int?
    @Option(help: "forecast or static (default: POOL_SIZING, else forecast).") var policy: String?
    @Option(help: "POOL_TARGET: the static target, and the forecast's target before any history.") var target: Int?
    @Option(help: "A TOME outage START,HOURS (START: ISO 8601 UTC inside the trace); may repeat.") var outage: [String] = []
    @Option(help: "Compare POOL_COVER_HOURS settings, e.g. 1,2,4,8: one simulation and one row each.") var coverHours: String?
    @Flag(help: "Hourly refills only, no 5-minute top-ups: the job as it was before top-ups.") var noTopUps = false
    @Flag(help: "Print one JSON line.") var json = false

    func validate() throws {
        switch (demand, fromDatabase) {
        case (nil, false): throw ValidationError("say what to simulate: --demand FILE.csv or --from-database")
        case (.some, true): throw ValidationError("--demand and --from-database are exclusive: simulate a trace or the recorded history, not both")
        case (.some, false) where peakHour == nil: throw ValidationError("--demand needs --peak-hour: the trace's values are relative")
        default: break
        }
        if let peakHour, peakHour < 1 { throw ValidationError("--peak-hour must be at least 1") }
        if let policy, SizingPolicy.Mode(rawValue: policy) == nil { throw ValidationError("--policy must be forecast or static, got \"\(policy)\"") }
        if let target, target < 0 { throw ValidationError("--target must be 0 or more") }
        _ = try outages()
        _ = try covers()
    }

    func run() async throws {
        var environment = ProcessEnvironment.all()
        if let policy { environment["POOL_SIZING"] = policy }
        if let target { environment["POOL_TARGET"] = String(target) }
        let sizing = try invalid("") { try SizingPolicy(environment: environment) }
        let trace = try await self.trace()
        let simulator = DemandSimulator(policy: sizing, topUps: !noTopUps)
        if let covers = try covers() {
            let comparison = try invalid("") {
                try simulator.compareCover(trace, coverHours: covers, peakHour: peakHour, outages: try outages())
            }
            print(json ? comparison.json() : comparison.text(policy: sizing.settings.mode.rawValue))
            return
        }
        let report = try invalid("") { try simulator.run(trace, peakHour: peakHour, outages: try outages()) }
        print(json ? report.json() : report.text(policy: sizing.settings.mode.rawValue))
    }

    /// The trace file, or the recorded history (`RefillJob.recordedDemand`, with the job opened as
    /// `status` opens it: no TOME, no lease). A database failure keeps its kind to the exit code (4),
    /// as a failed event's does; a history with no card is a usage error, like an empty trace.
    private func trace() async throws -> DemandTrace {
        guard fromDatabase else {
            let demand = demand ?? ""
            let text = try invalid("cannot read the demand trace \(demand): ") { try String(contentsOfFile: demand, encoding: .utf8) }
            return try invalid("\(demand): ") { try DemandTrace(csv: text) }
        }
        let runtime = try await Runtime.load(needsTOME: false)
        do {
            return try await runtime.withJob { job in try await job.recordedDemand() }
        } catch let error as SimulationError {
            throw ValidationError(error.description)
        } catch {
            let failure = JobFailure(error)
            ProcessEnvironment.writeToStandardError("tome-prefetch: \(failure)\n")
            throw ExitCode(failure.kind.exitCode)
        }
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

    /// The `--cover-hours` list; nil without it.
    private func covers() throws -> [Double]? {
        try coverHours.map { list in try invalid("") { try CoverComparison.parseCoverHours(list) } }
    }
}
