public import Logging
import PoolDatabase
import ProcessConfiguration
public import PostgresNIO
import Synchronization
public import TOMEClient

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The prefetch job: a plain handler of `JobEvent`s, whatever delivers them (stdin, the Lambda
/// Runtime API, an on-call subcommand). It keeps the pool of pre-mapped (NS1, NS2) pairs full.
public struct RefillJob: Sendable {
    public let configuration: Configuration
    let database: PostgresClient
    let dual: DualNamespaceClient
    let logger: Logger
    private let readiness = ReadinessFlag()

    public init(configuration: Configuration, database: PostgresClient, tome: any TOMEService, logger: Logger) {
        self.configuration = configuration
        self.database = database
        self.dual = DualNamespaceClient(tome: tome, configuration: configuration.namespaces, logger: logger)
        self.logger = logger
    }

    /// Runs `body` with a job whose database pool and TOME client are running, and closes both afterwards.
    public static func withJob<Result: Sendable>(
        configuration: Configuration,
        logger: Logger,
        _ body: (RefillJob) async throws -> Result
    ) async throws -> Result {
        // A wrong URL, password or a stopped database is named now, not after the pool's minute of retries.
        try await DatabaseProbe.check(configuration.database, logger: logger)
        return try await PostgresClient.withClient(configuration.database, logger: logger) { database in
            try await HTTPTOMEClient.withClient(configuration: configuration.tome, logger: logger) { tome in
                try await body(RefillJob(configuration: configuration, database: database, tome: tome, logger: logger))
            }
        }
    }

    /// Handles one event. Never throws: a failure becomes a result that says what went wrong.
    public func handle(_ event: JobEvent, context: InvocationContext) async -> JobResult {
        var logger = logger
        logger[metadataKey: JobLogKey.requestId] = "\(context.requestId)"
        do {
            switch event {
            case .status:
                return .status(try await status(logger: logger))
            case .migrate:
                let version = try await migrate()
                logger.info("schema migrated", metadata: ["schema_version": "\(version)"])
                return .migrated(schemaVersion: version)
            case .refill(let request):
                logger[metadataKey: JobLogKey.trigger] = "\(request.trigger.rawValue)"
                try await ensureReady(logger: logger)
                let sizing = try await scheduledRefillSizing(now: Self.now(), logger: logger)
                let runner = makeRunner(requestId: context.requestId, sizing: sizing, logger: logger, progress: context.progress)
                return .refill(try await runner.run(request, deadline: context.deadline))
            case .topUp(let request):
                logger[metadataKey: JobLogKey.trigger] = "\(request.trigger.rawValue)"
                return .refill(try await topUp(request, context: context, logger: logger))
            }
        } catch {
            let failure = JobFailure(error)
            logger.error("event failed", metadata: [JobLogKey.error: "\(failure)", "error.type": "\(failure.kind.rawValue)"])
            return .failed(failure)
        }
    }

    /// The answer as one JSON line, with the pool's metrics in CloudWatch's Embedded Metric Format.
    public func line(for result: JobResult) -> String {
        result.json(metrics: result.metrics(), settings: configuration.metrics)
    }

    /// Decodes and handles one event's bytes; a malformed event writes nothing.
    public func handle(eventBytes: some Collection<UInt8>, context: InvocationContext) async -> JobResult {
        do {
            return await handle(try EventDecoder.decode(eventBytes), context: context)
        } catch {
            logger.error("event rejected", metadata: [JobLogKey.requestId: "\(context.requestId)", JobLogKey.error: "\(error)"])
            return .rejected(error.description)
        }
    }

    /// Checks, once per process, what a refill needs: the schema, and both namespaces in TOME.
    func ensureReady(logger: Logger) async throws {
        if readiness.isReady { return }
        let version = try await Schema.currentVersion(database, logger: logger)
        guard let version, version >= Schema.version else {
            throw JobFailure.notReady(
                "the database has schema version \(version.map(String.init) ?? "none"), this job needs \(Schema.version): run `tome-prefetch migrate`"
            )
        }
        let infos: (ns1: NamespaceInfo, ns2: NamespaceInfo)
        do {
            infos = try await dual.checkNamespaces()
        } catch where error.isRetryable {
            // Rate limiting, a 5xx or a timeout says nothing about onboarding; the next run checks again.
            throw JobFailure.notReady("TOME did not answer the check of namespace \(error.namespace); nothing was done: \(error.underlying)")
        } catch where error.underlying.refusedOurCredentials {
            throw JobFailure(
                kind: .tomeCredentials,
                description: "TOME refused our credentials when checking namespace \(error.namespace) (TOME_AUTH_TOKEN or its secret); nothing was done: \(error.underlying)"
            )
        } catch {
            let role = error.isNS2 ? "NS2 onboarding is a prerequisite of the pool" : "check TOME_NS1"
            throw JobFailure.notReady("TOME namespace \(error.namespace) is not usable (\(role)): \(error.underlying)")
        }
        let largest = min(infos.ns1.maxBatchSize, infos.ns2.maxBatchSize)
        guard configuration.sizing.batchSize <= largest else {
            throw JobFailure.notReady("TOME_BATCH_SIZE is \(configuration.sizing.batchSize) but TOME accepts at most \(largest) per call")
        }
        readiness.markReady()
    }

    /// Between hourly refills: refills to the target only below the low watermark. Above it, two
    /// small statements and no TOME call; a retried firing whose run exists finishes or replays it.
    func topUp(_ request: RefillRequest, context: InvocationContext, logger: Logger) async throws -> RunSummary {
        let current = try await topUpSizing(now: Self.now(), key: request.idempotencyKey, logger: logger)
        let sizing = current.decision.sizing
        if !current.keyUsed && !current.decision.refill {
            var summary = RunSummary(trigger: .topUp, status: .notNeeded)
            summary.idempotencyKey = request.idempotencyKey
            summary.dryRun = request.dryRun
            summary.poolBefore = current.available
            summary.poolAfter = current.available
            summary.target = sizing.target
            summary.deficit = max(0, sizing.target - current.available)
            summary.describe(sizing, poolAfter: current.available)
            summary.recordFallbacks(current.fallbacks)
            return summary
        }
        logger.info("pool below its low watermark: topping up", metadata: ["available": "\(current.available)", "low_watermark": "\(sizing.lowWatermark)"])
        try await ensureReady(logger: logger)
        let runner = makeRunner(requestId: context.requestId, sizing: sizing, logger: logger, progress: context.progress)
        var summary = try await runner.run(request, deadline: context.deadline)
        summary.recordFallbacks(current.fallbacks)
        return summary
    }

    func makeRunner(requestId: String, sizing: SizingDecision, logger: Logger, progress: (@Sendable (RefillProgress) -> Void)?) -> RefillRunner {
        let store = RefillStore(client: database, logger: logger)
        let executor = BatchExecutor(dual: dual, store: store, pairTimeToLive: configuration.sizing.pairTimeToLive, logger: logger)
        return RefillRunner(
            configuration: configuration, sizing: sizing, store: store, executor: executor,
            holder: Self.holderName(requestId: requestId), logger: logger, progress: progress ?? { _ in }
        )
    }

    /// Names this process in the lease, so on-call can tell who holds it.
    static func holderName(requestId: String) -> String {
        "\(ProcessIdentity.host)/pid-\(ProcessIdentity.pid)/\(requestId)"
    }
}

/// Who asked, and by when the answer is due.
public struct InvocationContext: Sendable {
    /// The Lambda request id, or one made up for stdin and on-call runs; on every log line.
    public var requestId: String
    /// No batch starts that could not finish before this (less the configured margin).
    public var deadline: ContinuousClock.Instant?
    /// Called after each batch, for progress bars.
    public var progress: (@Sendable (RefillProgress) -> Void)?

    public init(requestId: String, deadline: ContinuousClock.Instant? = nil, progress: (@Sendable (RefillProgress) -> Void)? = nil) {
        self.requestId = requestId
        self.deadline = deadline
        self.progress = progress
    }
}

/// Remembers, for the life of the process, that the start-up checks passed.
final class ReadinessFlag: Sendable {
    private let ready = Atomic<Bool>(false)
    var isReady: Bool { ready.load(ordering: .acquiring) }
    func markReady() { ready.store(true, ordering: .releasing) }
}
