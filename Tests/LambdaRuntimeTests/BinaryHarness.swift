import TestSupport
import Foundation
import LambdaRuntimeEmulator
import PoolDatabase
import PostgresNIO
import Synchronization
import TOMESimulator

/// The real `tome-prefetch` binary, started against the Runtime API emulator, a schema of its
/// own in PostgreSQL and an in-process simulator.
struct LambdaHarness: Sendable {
    let emulator: RuntimeAPIEmulator
    let endpoint: String
    let database: PostgresClient
    let databaseURL: String
    let simulator: RunningSimulator
    /// Every binary this harness started: stopped (and its files removed) when the test ends,
    /// however it ends, so a test that returns or throws early leaves no process behind.
    let launched = LaunchedBinaries()

    /// The binary that `swift build` made; `TOME_PREFETCH_BINARY` overrides it.
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["TOME_PREFETCH_BINARY"] { return URL(fileURLWithPath: path) }
        return builtProduct("tome-prefetch")
    }

    /// Starts the binary in Lambda mode with the job's settings plus `extra`, less `removing`.
    func launch(_ extra: [String: String] = [:], removing: Set<String> = []) throws -> RunningBinary {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "AWS_LAMBDA_RUNTIME_API": endpoint,
            "DATABASE_URL": databaseURL,
            "TOME_URL": simulator.url,
            "POOL_TARGET": "1000",
            "TOME_BATCH_SIZE": "100",
            "TOME_CONCURRENCY": "4",
            "LOG_LEVEL": "debug",
        ]
        environment.merge(extra) { $1 }
        for name in removing { environment[name] = nil }
        let binary = try RunningBinary(executable: Self.binary, environment: environment)
        launched.add(binary)
        return binary
    }

    /// Runs the binary once in stdin mode with `input`; returns its exit status, stdout and stderr lines.
    func runOnce(stdin input: String, _ extra: [String: String] = [:]) async throws -> (status: Int32?, output: [String], logs: [String]) {
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "DATABASE_URL": databaseURL,
            "TOME_URL": simulator.url,
            "POOL_TARGET": "1000",
            "TOME_BATCH_SIZE": "100",
            "TOME_CONCURRENCY": "4",
            "LOG_FORMAT": "json",
        ]
        environment.merge(extra) { $1 }
        let binary = try RunningBinary(executable: Self.binary, environment: environment, standardInput: input)
        let status = await binary.waitForExit(timeout: .seconds(60))
        let result = (status, binary.outputLines, binary.logLines)
        await binary.stop()
        return result
    }

    /// The init error `binary` reported (its errorType, and its body with JSON's escaped slashes
    /// undone), after checking that the process then exited non-zero.
    func initError(of binary: RunningBinary) async throws -> (errorType: String?, body: String) {
        guard case .error(let errorType, _, let body) = try await emulator.initError() else {
            throw HarnessFailure("expected an init error")
        }
        let status = await binary.waitForExit(timeout: .seconds(10))
        guard let status, status != 0 else { throw HarnessFailure("the process did not exit non-zero after its init error") }
        return (errorType, body.replacingOccurrences(of: "\\/", with: "/"))
    }

    func string(_ sql: String) async throws -> String {
        for try await value in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(String.self) { return value }
        throw HarnessFailure("no row for \(sql)")
    }

    func execute(_ sql: String) async throws {
        _ = try await database.query(PostgresQuery(unsafeSQL: sql))
    }

    func count(_ sql: String) async throws -> Int {
        for try await count in try await database.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return count }
        return 0
    }
}

/// A product of this package as `swift build` made it (the debug build the tests run with).
func builtProduct(_ name: String) -> URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/\(name)")
}

/// The card-app binary started with `environment` (and PATH), listening on a port of its own.
func launchCardApp(_ environment: [String: String]) throws -> RunningBinary {
    var environment = environment
    environment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    return try RunningBinary(executable: builtProduct("card-app"), environment: environment, arguments: ["--port", "0"])
}

/// A child process whose stderr (its logs) and stdout (its answers and metric lines) are kept.
final class RunningBinary: @unchecked Sendable {
    let process = Process()
    private let errorFile: URL
    private let outputFile: URL

    init(executable: URL, environment: [String: String], arguments: [String] = [], standardInput: String? = nil) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw HarnessFailure("\(executable.path) is not built; run `swift build` first (scripts/test does)")
        }
        let name = "tome-prefetch-\(UUID().uuidString)"
        errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).log")
        outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("\(name).out")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardError = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        if let standardInput {
            let pipe = Pipe()
            process.standardInput = pipe
            try process.run()
            pipe.fileHandleForWriting.write(Data(standardInput.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
            try process.run()
        }
    }

    var logLines: [String] {
        ((try? String(contentsOf: errorFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    var outputLines: [String] {
        ((try? String(contentsOf: outputFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits up to `timeout` for the process to exit; returns its status, or nil if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let limit = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < limit {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// The URL a server printed on a line of its own (other lines may come first); nil when it
    /// printed none within `timeout`.
    func printedURL(timeout: Duration = .seconds(15)) async -> String? {
        let limit = ContinuousClock.now + timeout
        while ContinuousClock.now < limit {
            if let url = outputLines.first(where: { $0.hasPrefix("http://") || $0.hasPrefix("https://") }) { return url }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    func signal(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    func stop() async {
        if process.isRunning {
            process.terminate()
            _ = await waitForExit(timeout: .seconds(5))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: errorFile)
        try? FileManager.default.removeItem(at: outputFile)
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func withLambdaHarness<Result: Sendable>(
    simulator: SimulatedTOME.Configuration = .init(),
    _ body: @Sendable (LambdaHarness) async throws -> Result
) async throws -> Result {
    try await TestDatabase.withIsolatedSchema { configuration, database in
        let schema = configuration.startupParameters.first { $0.0 == "search_path" }?.1 ?? "public"
        let url = "postgres://\(configuration.username):\(configuration.password ?? "")@\(configuration.host):\(configuration.port)/\(configuration.database)"
            + "?sslmode=\(configuration.tls.rawValue)&options=-c%20search_path%3D\(schema)"
        return try await SimulatedTOME.withRunning(configuration: simulator) { running in
            let emulator = RuntimeAPIEmulator()
            return try await emulator.withServer { endpoint in
                let harness = LambdaHarness(emulator: emulator, endpoint: endpoint, database: database, databaseURL: url, simulator: running)
                do {
                    let result = try await body(harness)
                    await harness.launched.stopAll()
                    return result
                } catch {
                    await harness.launched.stopAll()
                    throw error
                }
            }
        }
    }
}

/// The binaries one test started, for stopping them all at its end.
final class LaunchedBinaries: Sendable {
    private let binaries = Mutex<[RunningBinary]>([])

    func add(_ binary: RunningBinary) {
        binaries.withLock { $0.append(binary) }
    }

    func stopAll() async {
        for binary in binaries.withLock({ $0 }) { await binary.stop() }
    }
}

/// Runs a command in `folder`, its output in a file there, waiting without blocking a thread of
/// the cooperative pool; its exit status and output.
func runCommand(_ arguments: [String], in folder: URL) async throws -> (status: Int32, output: String) {
    let output = folder.appendingPathComponent("out-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: output) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = folder
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = process.standardOutput
    process.standardInput = FileHandle.nullDevice
    try process.run()
    while process.isRunning { try await Task.sleep(for: .milliseconds(10)) }
    return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
}
