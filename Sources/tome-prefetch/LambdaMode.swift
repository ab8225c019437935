import ProcessConfiguration
import LambdaRuntime
import Logging
import PoolDatabase
import PrefetchJob
import ServiceLifecycle
import TOMEClient

/// `tome-prefetch` as a Lambda function: the Runtime API loop, with the same event handling as stdin.
enum LambdaMode {
    static func run(endpoint: String, environment: [String: String]) async throws {
        let client = RuntimeAPIClient(endpoint: endpoint)
        let logger: Logger
        do {
            logger = try makeLogger(environment)
        } catch {
            let fallback = LogFormat.json.logger(label: "tome-prefetch", level: .info)
            try await failInit(client, errorType: "Runtime.InvalidConfiguration", error: error, logger: fallback)
        }
        let loader: SecretLoader
        let secrets: ResolvedSecrets
        let configuration: RefillJob.Configuration
        do {
            loader = try SecretLoader(environment: environment)
            secrets = try await loader.load()
            configuration = try RefillJob.Configuration(environment: environment, secrets: secrets)
        } catch let error as SecretError {
            try await failInit(client, errorType: "Runtime.SecretUnavailable", error: error, logger: logger)
        } catch {
            try await failInit(client, errorType: "Runtime.InvalidConfiguration", error: error, logger: logger)
        }
        do {
            try await RotatingRefillHandler.withHandler(
                loader: loader, secrets: secrets, configuration: configuration, environment: environment, logger: logger
            ) { handler in
                let loop = LambdaRunLoop(client: client, handler: handler, logger: logger)
                // SIGTERM (and SIGINT at a terminal) lets the invocation in flight answer first.
                try await ServiceGroup(services: [loop], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
            }
        } catch let error as DatabaseError {
            // Only the start-up probe throws one: the handler turns an invocation's into its answer.
            try await failInit(client, errorType: "Runtime.DatabaseUnavailable", error: error, logger: logger)
        }
    }

    /// Tells Lambda why this environment cannot serve, and stops the process.
    private static func failInit(_ client: RuntimeAPIClient, errorType: String, error: any Error, logger: Logger) async throws -> Never {
        logger.critical("start-up failed", metadata: ["error": "\(error)", "errorType": "\(errorType)"])
        do {
            try await client.reportInitError(LambdaErrorReport(error, errorType: errorType))
        } catch {
            logger.error("could not report the init error", metadata: ["error": "\(error)"])
        }
        throw InitFailed()
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
