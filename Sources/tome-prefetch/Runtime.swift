import ProcessConfiguration
import ArgumentParser
import Logging
import PrefetchJob
import TOMEClient

#if canImport(Glibc)
import Glibc
#endif

/// The configuration and logger every subcommand starts from.
struct Runtime: Sendable {
    let configuration: RefillJob.Configuration
    let logger: Logger
    let processId = Int(getpid())

    /// Reads the environment once, and the secrets it points at; a bad or missing setting stops
    /// the program naming the variable. `needsTOME: false` lets `status` and `migrate` run with
    /// only the database settings.
    static func load(needsTOME: Bool = true) async throws -> Runtime {
        var environment = ProcessEnvironment.all()
        if !needsTOME && environment["TOME_URL"] == nil {
            // Never contacted by these commands; a placeholder keeps one configuration type.
            environment["TOME_URL"] = "http://127.0.0.1:1"
        }
        do {
            // One reader, so a bad level and a bad format are named together.
            var reader = EnvironmentReader(environment)
            let level = reader.logLevel("LOG_LEVEL")
            let format = reader.logFormat("LOG_FORMAT")
            try reader.finish()
            let secrets = try await SecretLoader(environment: environment).load()
            let configuration = try RefillJob.Configuration(environment: environment, secrets: secrets)
            return Runtime(configuration: configuration, logger: format.logger(label: "tome-prefetch", level: level))
        } catch {
            ProcessEnvironment.writeToStandardError("tome-prefetch: \(error)\n")
            throw ExitCode(2)
        }
    }

    func withJob<Result: Sendable>(_ body: (RefillJob) async throws -> Result) async throws -> Result {
        try await RefillJob.withJob(configuration: configuration, logger: logger, body)
    }
}



func readAllStandardInput() -> [UInt8] {
    var input: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count <= 0 { break }
        input.append(contentsOf: buffer[0..<count])
    }
    return input
}
