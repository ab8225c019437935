import ProcessConfiguration
import LambdaRuntime
import Logging
import PoolDatabase
import PrefetchJob
import Synchronization
import TOMEClient

#if canImport(Glibc)
import Glibc
#endif

/// `tome-prefetch` as a Lambda function: the Runtime API loop, with the same event handling as stdin.
enum LambdaMode {
    static func run(endpoint: String, environment: [String: String]) async throws {
        let logger: Logger
        do {
            logger = try makeLogger(environment)
        } catch {
            let fallback = LogFormat.json.logger(label: "tome-prefetch", level: .info)
            try await failInit(endpoint: endpoint, errorType: "Runtime.InvalidConfiguration", error: error, logger: fallback)
        }
        let loader: SecretLoader
        var secrets: ResolvedSecrets
        var configuration: RefillJob.Configuration
        do {
            loader = try SecretLoader(environment: environment)
            secrets = try await loader.load()
            configuration = try RefillJob.Configuration(environment: environment, secrets: secrets)
        } catch let error as SecretError {
            try await failInit(endpoint: endpoint, errorType: "Runtime.SecretUnavailable", error: error, logger: logger)
        } catch {
            try await failInit(endpoint: endpoint, errorType: "Runtime.InvalidConfiguration", error: error, logger: logger)
        }

        var served = false
        var rereadAtStart = false
        while true {
            let rotation = Mutex<(secret: SecretLoader.Secret, secrets: ResolvedSecrets)?>(nil)
            let current = (configuration, secrets)
            do {
                try await RefillJob.withJob(configuration: configuration, logger: logger) { job in
                    try await LambdaRuntime.run(
                        endpoint: endpoint, logger: logger, stopAfterInvocation: { rotation.withLock { $0 != nil } }
                    ) { invocation, context in
                        let invocationContext = InvocationContext(requestId: context.requestId, deadline: context.deadline)
                        let result = await job.handle(eventBytes: invocation.event, context: invocationContext)
                        guard let refused = await refusedSecret(result, loader: loader, configuration: current.0, logger: context.logger)
                        else { return answer(result, job: job) }
                        // A refused password or token: perhaps a rotation. Read that secret once more
                        // and, when it changed, answer this event on a new job that the next events keep using.
                        guard let rotated = await reread(refused, loader, current: current.1, environment: environment, logger: context.logger) else {
                            return answer(result, job: job)
                        }
                        rotation.withLock { $0 = (refused, rotated.secrets) }
                        let retried = try? await RefillJob.withJob(configuration: rotated.configuration, logger: logger) { job in
                            answer(await job.handle(eventBytes: invocation.event, context: invocationContext), job: job)
                        }
                        return retried ?? answer(result, job: job)
                    }
                }
            } catch let error as DatabaseError where !served {
                // The start-up probe: a refused password may be a rotation this environment has not seen.
                if error.isLoginRefused, !rereadAtStart,
                    let rotated = await reread(.database, loader, current: secrets, environment: environment, logger: logger)
                {
                    rereadAtStart = true
                    (configuration, secrets) = (rotated.configuration, rotated.secrets)
                    continue
                }
                try await failInit(endpoint: endpoint, errorType: "Runtime.DatabaseUnavailable", error: error, logger: logger)
            }
            served = true
            guard let rotated = rotation.withLock({ $0 }) else { return }
            secrets = rotated.secrets
            configuration = try RefillJob.Configuration(environment: environment, secrets: secrets)
            logger.notice("serving with \(rotated.secret) read again after a rotation")
        }
    }

    /// The secret that a failed run says was refused, when the environment reads it through the
    /// extension. The pool retries a refused login as it would a refused connection, so a database
    /// failure is checked with one connection of its own, which names the cause at once.
    private static func refusedSecret(
        _ result: JobResult, loader: SecretLoader, configuration: RefillJob.Configuration, logger: Logger
    ) async -> SecretLoader.Secret? {
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
                try await DatabaseProbe.check(configuration.database, logger: logger)
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

    /// A refused secret read again; nil (and a log line saying why) when it cannot be read, has
    /// not changed, or no longer makes a valid configuration.
    private static func reread(
        _ secret: SecretLoader.Secret, _ loader: SecretLoader, current: ResolvedSecrets, environment: [String: String], logger: Logger
    ) async -> (secrets: ResolvedSecrets, configuration: RefillJob.Configuration)? {
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

    /// Tells Lambda why this environment cannot serve, and stops the process.
    private static func failInit(endpoint: String, errorType: String, error: any Error, logger: Logger) async throws -> Never {
        logger.critical("start-up failed", metadata: ["error": "\(error)", "errorType": "\(errorType)"])
        await LambdaRuntime.reportInitError(endpoint: endpoint, LambdaErrorReport(error, errorType: errorType), logger: logger)
        throw InitFailed()
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

    /// JSON lines unless `AWS_LAMBDA_LOG_FORMAT` is `Text`; the level from `AWS_LAMBDA_LOG_LEVEL`
    /// (Lambda's names: TRACE … FATAL) or `LOG_LEVEL`. An unknown level is a configuration error.
    static func makeLogger(_ environment: [String: String]) throws(ConfigurationError) -> Logger {
        var reader = EnvironmentReader(environment)
        let level = reader.optionalString("AWS_LAMBDA_LOG_LEVEL") != nil ? reader.logLevel("AWS_LAMBDA_LOG_LEVEL") : reader.logLevel("LOG_LEVEL")
        try reader.finish()
        let format: LogFormat = environment["AWS_LAMBDA_LOG_FORMAT"]?.lowercased() == "text" ? .text : .json
        return format.logger(label: "tome-prefetch", level: level)
    }
}

/// Start-up failed and was reported to the Runtime API; the process exits non-zero.
struct InitFailed: Error {}
