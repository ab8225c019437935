import ProcessConfiguration
import ArgumentParser
import Logging
import PrefetchJob
import TOMEClient

#if canImport(Glibc)
import Glibc
#endif

/// `tome-prefetch`: keeps the pool of pre-mapped (NS1, NS2) pairs full.
///
/// Without a subcommand it reads events on stdin (one JSON document, or one per line) and
/// prints one JSON result line per event (the text on-call reads when standard output is a
/// terminal); it exits 0 only if every event succeeded.
@main
struct PrefetchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tome-prefetch",
        abstract: "Fill the token pool with pre-mapped (NS1, NS2) pairs.",
        discussion: """
            With no subcommand, events are read on stdin and one JSON result per event is printed
            (text when standard output is a terminal: pipe it for the JSON).
            Configuration comes from environment variables (see the README); logs go to stderr.
            """,
        subcommands: [
            RefillCommand.self, TopUpCommand.self, StatusCommand.self, SimulateCommand.self, MigrateCommand.self, AuditCommand.self,
        ]
    )

    func run() async throws {
        let environment = ProcessEnvironment.all()
        if let endpoint = environment["AWS_LAMBDA_RUNTIME_API"], !endpoint.isEmpty {
            do {
                try await LambdaMode.run(endpoint: endpoint, environment: environment)
            } catch {
                throw ExitCode.failure
            }
            return
        }
        let runtime = try await Runtime.load()
        let input = readAllStandardInput()
        let events = StdinEvents.split(input)
        guard !events.isEmpty else {
            throw ValidationError("no event on stdin; pipe a JSON event, e.g. echo '{\"action\": \"status\"}' | tome-prefetch")
        }
        // Programs read the JSON lines; a person at a terminal reads the text. No `--json` flag
        // here: the parser would take it from the subcommands that have one (`status --json`).
        let printsText = isatty(STDOUT_FILENO) == 1
        // The exit status is the first failed event's (see the README's exit codes).
        let status = try await runtime.withJob { job in
            var status: Int32 = 0
            for (index, event) in events.enumerated() {
                let context = InvocationContext(requestId: "stdin-\(runtime.processId)-\(index + 1)")
                let result = await job.handle(eventBytes: event, context: context)
                print(printsText ? result.text() : job.line(for: result))
                if status == 0 { status = result.exitCode }
            }
            return status
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct RefillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refill",
        abstract: "Run a manual refill now and print its summary.",
        discussion: "Exit status: 0 filled, 3 another refill holds the lease, otherwise the failure's code (1 partial, 4 database, 5 TOME, 6 not ready; see the README)."
    )

    @Option(help: "Fill up to this many available pairs instead of the sizing policy's target.") var target: Int?
    @OptionGroup var options: RunOptions

    func validate() throws {
        if let target, target < 0 { throw ValidationError("--target must be 0 or more") }
    }

    func run() async throws {
        try await options.runAndPrint(.refill(options.request(trigger: .manual, target: target)))
    }
}

struct TopUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top-up",
        abstract: "Refill to the target only if the pool is below its low watermark (what the 5-minute schedule runs).",
        discussion: "Exit status as refill's; \"not_needed\" (above the watermark, nothing written, no TOME call) is 0."
    )

    @OptionGroup var options: RunOptions

    func run() async throws {
        try await options.runAndPrint(.topUp(options.request(trigger: .topUp)))
    }
}

/// The options a manual refill and a manual top-up share, and how either runs.
struct RunOptions: ParsableArguments {
    @Option(help: "Plan at most this many pairs in this run instead of REFILL_MAX_PAIRS.") var maxPairs: Int?
    @Flag(help: "Plan and report only: no writes, no TOME calls.") var dryRun = false
    @Option(help: "Why you are running it; stored with the run.") var reason: String?
    @Option(help: "Replaying the same key returns the first run's result.") var idempotencyKey: String?
    @Flag(help: "Print the answer as JSON.") var json = false

    func validate() throws {
        if let maxPairs, maxPairs < 1 { throw ValidationError("--max-pairs must be at least 1") }
    }

    func request(trigger: RefillRequest.Trigger, target: Int? = nil) -> RefillRequest {
        RefillRequest(trigger: trigger, idempotencyKey: idempotencyKey, target: target, maxPairs: maxPairs, dryRun: dryRun, reason: reason)
    }

    /// Runs the event: progress on a terminal, then the answer as text (JSON when asked, or when
    /// the output is not a terminal), exiting with its code.
    func runAndPrint(_ event: JobEvent) async throws {
        let runtime = try await Runtime.load()
        let reporter = ProgressReporter()
        let requestId = "cli-\(runtime.processId)"
        let (result, line) = try await runtime.withJob { job in
            let context = InvocationContext(requestId: requestId, progress: { reporter.report($0) })
            let result = await job.handle(event, context: context)
            return (result, job.line(for: result))
        }
        print(json || !reporter.isTerminal ? line : result.text())
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the pool's level, its drain rate, the last runs and the lease."
    )

    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let runtime = try await Runtime.load(needsTOME: false)
        let (result, line) = try await runtime.withJob { job in
            let result = await job.handle(.status, context: InvocationContext(requestId: "cli-\(runtime.processId)"))
            return (result, job.line(for: result))
        }
        print(json ? line : result.text())
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply schema.sql to DATABASE_URL (safe to run again)."
    )

    func run() async throws {
        let runtime = try await Runtime.load(needsTOME: false)
        let version = try await runtime.withJob { job in try await job.migrate() }
        print("schema is at version \(version)")
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check random pooled and assigned pairs against TOME's NS2 detokenize.",
        discussion: "Exit status: 0 when every sampled pair agrees with TOME, 1 otherwise."
    )

    @Option(help: "Pairs to sample from the pool and from the assignments, each.") var sample = 100
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...100_000).contains(sample) else { throw ValidationError("--sample must be between 1 and 100000") }
    }

    func run() async throws {
        let runtime = try await Runtime.load()
        let report = try await runtime.withJob { job in try await job.audit(sample: sample) }
        if json {
            print(report.json())
        } else {
            print("checked \(report.pooledChecked) pooled and \(report.assignedChecked) assigned pairs: \(report.mismatches.count) mismatches")
            for mismatch in report.mismatches {
                print("  \(mismatch.table): \(mismatch.ns2Token): \(mismatch.problem)")
            }
        }
        if !report.isClean { throw ExitCode.failure }
    }
}
