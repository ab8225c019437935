import LambdaRuntime
import Logging
import PoolDatabase
import PrefetchJob
import TOMEClient

/// `tome-prefetch` as a Lambda function: the Runtime API loop, with the same event handling as stdin.
enum LambdaMode {
    static func run(endpoint: String, environment: [String: String]) async throws {
        let logger = makeLogger(environment)
        let configuration: PrefetchJob.Configuration
        do {
            configuration = try PrefetchJob.Configuration(environment: environment)
        } catch {
            logger.critical("invalid configuration", metadata: ["error": "\(error)"])
            await LambdaRuntime.reportInitError(
                endpoint: endpoint, LambdaErrorReport(errorType: "Runtime.InvalidConfiguration", errorMessage: "\(error)"), logger: logger
            )
            throw InitFailed()
        }
        do {
            try await PrefetchJob.withJob(configuration: configuration, logger: logger) { job in
                try await LambdaRuntime.run(endpoint: endpoint, logger: logger) { invocation, context in
                    let result = await job.handle(
                        eventBytes: invocation.event,
                        context: InvocationContext(requestId: context.requestId, deadline: context.deadline)
                    )
                    return outcome(of: result)
                }
            }
        } catch let error as DatabaseError {
            // The start-up probe: tell Lambda why this environment cannot serve.
            logger.critical("the database cannot be used", metadata: ["error": "\(error)"])
            await LambdaRuntime.reportInitError(
                endpoint: endpoint, LambdaErrorReport(error, errorType: "Runtime.DatabaseUnavailable"), logger: logger
            )
            throw InitFailed()
        }
    }

    /// A partial run is an answer (it made progress; the next run finishes it). A rejected event
    /// or a run that could not start is an error, so Lambda retries it and, at last, dead-letters it.
    static func outcome(of result: JobResult) -> LambdaOutcome {
        switch result {
        case .rejected(let message):
            return .failure(LambdaErrorReport(errorType: "InvalidEvent", errorMessage: message))
        case .failed(let message):
            return .failure(LambdaErrorReport(errorType: "RefillFailed", errorMessage: message))
        case .refill(let summary) where summary.status == .failed:
            return .failure(LambdaErrorReport(errorType: "RefillFailed", errorMessage: summary.error ?? "no batch committed", stackTrace: [result.json()]))
        case .refill, .status:
            return .response(Array(result.json().utf8))
        }
    }

    /// JSON lines unless `AWS_LAMBDA_LOG_FORMAT` is `Text`; the level from `AWS_LAMBDA_LOG_LEVEL` or `LOG_LEVEL`.
    static func makeLogger(_ environment: [String: String]) -> Logger {
        var levelEnvironment = environment
        if let lambdaLevel = environment["AWS_LAMBDA_LOG_LEVEL"], !lambdaLevel.isEmpty { levelEnvironment["LOG_LEVEL"] = lambdaLevel }
        let level = (try? Logger.Level.fromEnvironment(levelEnvironment)) ?? .info
        let text = environment["AWS_LAMBDA_LOG_FORMAT"]?.lowercased() == "text"
        var logger = Logger(label: "tome-prefetch") { label -> any LogHandler in
            text ? StreamLogHandler.standardError(label: label) : JSONLogHandler(label: label, level: level)
        }
        logger.logLevel = level
        return logger
    }
}

/// Start-up failed and was reported to the Runtime API; the process exits non-zero.
struct InitFailed: Error {}
