import LambdaRuntime
import Logging
import PoolDatabase
import PrefetchJob

#if canImport(Glibc)
import Glibc
#endif

/// Answers Lambda events on a `RefillJob`, and replaces the job when a secret it was refused
/// (the database password, the TOME token) has changed on a second read: a rotated secret is
/// picked up without a restart.
///
/// A refused secret is read again once per failed event. When it has changed, the same event is
/// answered on a new job, which the next events keep; when it has not, the log names the
/// extension's cache, which may still serve the old value.
actor RotatingRefillHandler: LambdaHandler {
    private let jobs: JobScopes
    private let loader: SecretLoader
    private let environment: [String: String]
    /// The job events are answered on, and the secrets its configuration was made with.
    private var current: OpenJob
    private var secrets: ResolvedSecrets

    private init(jobs: JobScopes, loader: SecretLoader, environment: [String: String], current: OpenJob, secrets: ResolvedSecrets) {
        self.jobs = jobs
        self.loader = loader
        self.environment = environment
        self.current = current
        self.secrets = secrets
    }

    /// Opens the first job and runs `body` with a handler on it; every job is closed when `body`
    /// returns. A password the start-up probe refuses is read again once, as it may be a rotation
    /// this environment has not seen; so a `DatabaseError` thrown here is the start-up probe's.
    static func withHandler<Result: Sendable>(
        loader: SecretLoader, secrets: ResolvedSecrets, configuration: RefillJob.Configuration,
        environment: [String: String], logger: Logger,
        _ body: (RotatingRefillHandler) async throws -> Result
    ) async throws -> Result {
        try await JobScopes.withScopes(logger: logger) { jobs in
            var secrets = secrets
            let first: OpenJob
            do {
                first = try await jobs.open(configuration)
            } catch let error as DatabaseError where error.isLoginRefused && loader.reads(.database) {
                guard let rotated = await reread(.database, loader: loader, current: secrets, environment: environment, logger: logger) else {
                    throw error
                }
                first = try await jobs.open(rotated.configuration)
                secrets = rotated.secrets
            }
            let handler = RotatingRefillHandler(jobs: jobs, loader: loader, environment: environment, current: first, secrets: secrets)
            let result = try await body(handler)
            await handler.closeJob()
            return result
        }
    }

    func handle(_ invocation: LambdaInvocation, context: LambdaContext) async -> LambdaOutcome {
        let result = await Self.run(invocation, on: current.job)
        guard let refused = await refusedSecret(result, logger: context.logger),
            let rotated = await Self.reread(refused, loader: loader, current: secrets, environment: environment, logger: context.logger),
            let replacement = await replaceJob(rotated, after: refused, logger: context.logger)
        else {
            return Self.answer(result, job: current.job)
        }
        return Self.answer(await Self.run(invocation, on: replacement), job: replacement)
    }

    private static func run(_ invocation: LambdaInvocation, on job: RefillJob) async -> JobResult {
        await job.handle(eventBytes: invocation.event, context: InvocationContext(requestId: invocation.requestId, deadline: invocation.deadline))
    }

    /// A job on the secrets read again, which the next events keep; nil (and the job as it was)
    /// when it cannot open.
    private func replaceJob(_ rotated: Rotated, after secret: SecretLoader.Secret, logger: Logger) async -> RefillJob? {
        do {
            let replacement = try await jobs.open(rotated.configuration)
            current.close()
            (current, secrets) = (replacement, rotated.secrets)
            logger.notice("serving with \(secret) read again after a rotation")
            return replacement.job
        } catch {
            logger.error("could not reconnect with \(secret) read again; serving on with the job as it was", metadata: ["error": "\(error)"])
            return nil
        }
    }

    private func closeJob() {
        current.close()
    }

    /// The secret that a failed run says was refused, when the environment reads it through the
    /// extension. The pool retries a refused login as it would a refused connection, so a database
    /// failure is checked with one connection of its own, which names the cause at once.
    private func refusedSecret(_ result: JobResult, logger: Logger) async -> SecretLoader.Secret? {
        let kind: JobFailure.Kind
        switch result {
        case .failed(let failure): kind = failure.kind
        case .refill(let summary) where summary.status == .failed: kind = summary.errorKind ?? .other
        case .refill, .status, .migrated, .rejected: return nil
        }
        let secret: SecretLoader.Secret
        switch kind {
        case .tomeCredentials:
            secret = .tomeToken
        case .databaseLogin:
            secret = .database
        case .database:
            do {
                try await DatabaseProbe.check(current.job.configuration.database, logger: logger)
                return nil
            } catch {
                guard error.isLoginRefused else { return nil }
                secret = .database
            }
        case .event, .configuration, .tome, .notReady, .lease, .deadline, .other:
            return nil
        }
        return loader.reads(secret) ? secret : nil
    }

    private typealias Rotated = (secrets: ResolvedSecrets, configuration: RefillJob.Configuration)

    /// A refused secret read again; nil (and a log line saying why) when it cannot be read, has
    /// not changed, or no longer makes a valid configuration.
    private static func reread(
        _ secret: SecretLoader.Secret, loader: SecretLoader, current: ResolvedSecrets, environment: [String: String], logger: Logger
    ) async -> Rotated? {
        let refusal = secret == .database ? "the database refused the password" : "TOME refused our token"
        do {
            guard let updated = try await loader.reload(secret, current: current) else {
                logger.error(
                    "\(refusal) and \(secret) is unchanged; the Parameters and Secrets extension may serve the old value until its cache expires (SECRETS_MANAGER_TTL, SSM_PARAMETER_STORE_TTL)"
                )
                return nil
            }
            let configuration = try RefillJob.Configuration(environment: environment, secrets: updated)
            logger.notice("\(refusal); \(secret) has changed, reconnecting with it")
            return (updated, configuration)
        } catch {
            logger.error("\(refusal) and \(secret) could not be read again", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// The answer to Lambda, after writing the run's JSON line to standard output: with the pool's
    /// metrics in the Embedded Metric Format, it is what CloudWatch turns into metrics and alarms.
    private static func answer(_ result: JobResult, job: RefillJob) -> LambdaOutcome {
        let line = job.line(for: result)
        print(line)
        fflush(nil)
        return outcome(of: result, line: line)
    }

    /// A partial run is an answer (it made progress; the next run finishes it). A rejected event
    /// or a run that could not start is an error, so Lambda retries it and, at last, dead-letters it.
    static func outcome(of result: JobResult, line: String) -> LambdaOutcome {
        switch result {
        case .rejected(let message):
            return .failure(LambdaErrorReport(errorType: JobFailure.Kind.event.lambdaErrorType, errorMessage: message))
        case .failed(let failure):
            return .failure(LambdaErrorReport(errorType: failure.kind.lambdaErrorType, errorMessage: failure.description))
        case .refill(let summary) where summary.status == .failed:
            let kind = summary.errorKind ?? .other
            return .failure(LambdaErrorReport(errorType: kind.lambdaErrorType, errorMessage: summary.error ?? "no batch committed", stackTrace: [result.json()]))
        case .refill, .status, .migrated:
            return .response(Array(line.utf8))
        }
    }
}

/// A job whose scope stays open until `close()`.
private struct OpenJob: Sendable {
    let job: RefillJob
    let closing: AsyncStream<Never>.Continuation

    func close() {
        closing.finish()
    }
}

/// Holds each open job's scope in a child task of its own. `RefillJob.withJob` is scoped (the
/// pool and the TOME client close when its body returns), yet a job opened during one invocation
/// must serve the next ones, and the new job must open before the old one closes, so that a
/// failed reconnect leaves the old job serving.
private struct JobScopes: Sendable {
    private struct Request: Sendable {
        let configuration: RefillJob.Configuration
        let reply: CheckedContinuation<OpenJob, any Error>
    }

    private let requests: AsyncStream<Request>.Continuation

    /// Runs `body` with a place to open jobs; every job must be closed when `body` returns, and
    /// all are when it throws.
    static func withScopes<Result: Sendable>(logger: Logger, _ body: (JobScopes) async throws -> Result) async throws -> Result {
        let (requests, continuation) = AsyncStream.makeStream(of: Request.self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { scopes in
                    for await request in requests {
                        scopes.addTask { await hold(request, logger: logger) }
                    }
                }
            }
            defer { continuation.finish() }
            return try await body(JobScopes(requests: continuation))
        }
    }

    /// A job on `configuration`, open until its `close()`; throws what opening it threw (the
    /// start-up probe's `DatabaseError`, for one).
    func open(_ configuration: RefillJob.Configuration) async throws -> OpenJob {
        try await withCheckedThrowingContinuation { reply in
            if case .terminated = requests.yield(Request(configuration: configuration, reply: reply)) {
                reply.resume(throwing: CancellationError())
            }
        }
    }

    private static func hold(_ request: Request, logger: Logger) async {
        let (closed, closing) = AsyncStream.makeStream(of: Never.self)
        var opened = false
        do {
            try await RefillJob.withJob(configuration: request.configuration, logger: logger) { job in
                opened = true
                request.reply.resume(returning: OpenJob(job: job, closing: closing))
                for await _ in closed {}
            }
        } catch where opened {
            logger.warning("closing a job failed", metadata: ["error": "\(error)"])
        } catch {
            request.reply.resume(throwing: error)
        }
    }
}
