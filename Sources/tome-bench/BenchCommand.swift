import ProcessConfiguration
import ArgumentParser
import Logging
import PoolDatabase
import PostgresNIO
import TOMEClient
import TokenPool

/// `tome-bench`: the parts of `scripts/bench` that must run inside a Swift process.
/// Built in release by `scripts/bench`; not part of `swift test`.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tome-bench",
        abstract: "Benchmark helpers for scripts/bench.",
        subcommands: [ReserveBench.self, OpenLoopBench.self, PgbenchScript.self]
    )
}

/// Reservations through the `PoolReserver` library, `clients` loops at once for `seconds`, in one of
/// two shapes pgbench replays: `transaction` (BEGIN, `reserve(cardId:on:)`, COMMIT, for callers
/// that compose their own transaction) or `statement` (`insertWithPooledPair`, one round trip).
struct ReserveBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve pairs from DATABASE_URL's pool with N concurrent clients; print JSON."
    )

    @Option(help: "Concurrent reservers.") var clients = 16
    @Option(help: "Measured seconds.") var seconds = 5.0
    @Option(help: "Unmeasured seconds first, to warm connections and caches.") var warmup = 1.0
    @Option(help: "transaction (BEGIN, the claim, COMMIT) or statement (one statement).") var shape = Shape.transaction
    @Option(help: "Write every committed reservation to this file (card id, NS1, NS2; tab-separated).") var record: String?

    func run() async throws {
        let environment = ProcessEnvironment.all()
        guard let url = environment["DATABASE_URL"] else { throw ValidationError("DATABASE_URL is required") }
        var database = try DatabaseConfiguration(url: url)
        database.maxConnections = clients
        let logger = Logger(label: "tome-bench", factory: { _ in SwiftLogNoOpLogHandler() })
        let clients = clients
        let warmup = Duration.milliseconds(Int64(warmup * 1000))
        let measured = Duration.milliseconds(Int64(seconds * 1000))
        let record = try record.map { try ReservationRecord(path: $0) }
        let shape = shape
        let result = try await PostgresClient.withClient(database, logger: logger) { client in
            // TOME is never reached: the pool is filled before, and a fallback would fail loudly.
            try await HTTPTOMEClient.withClient(configuration: .init(baseURL: "http://127.0.0.1:1", retry: .none)) { tome in
                let pool = PoolReserver(database: client, dual: DualNamespaceClient(tome: tome), logger: logger)
                return try await Self.measure(
                    pool: pool, client: client, shape: shape, clients: clients, warmup: warmup, measured: measured, record: record,
                    logger: logger
                )
            }
        }
        print(result)
    }

    static func measure(
        pool: PoolReserver, client: PostgresClient, shape: Shape, clients: Int, warmup: Duration, measured: Duration,
        record: ReservationRecord?, logger: Logger
    ) async throws -> String {
        let start = ContinuousClock.now
        let measureFrom = start + warmup
        let end = measureFrom + measured
        let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
            for worker in 0..<clients {
                // One connection per reserver for the whole run, as each pgbench client has:
                // the comparison is then the transaction itself, not the pool's lease per call.
                group.addTask {
                    try await client.withConnection { connection in
                        let loop = ReserverLoop(
                            pool: pool, shape: shape, worker: worker, measureFrom: measureFrom, end: end, record: record, logger: logger)
                        return try await loop.run(on: connection)
                    }
                }
            }
            var all: [Duration] = []
            for try await part in group { all += part }
            return all
        }
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return milliseconds(sorted[max(0, index)])
        }
        let perSecond = Double(sorted.count) / milliseconds(measured) * 1000
        return """
            {"clients": \(clients), "reservations": \(sorted.count), "per_second": \(round1(perSecond)), \
            "p50_ms": \(round3(percentile(0.5))), "p99_ms": \(round3(percentile(0.99))), "p999_ms": \(round3(percentile(0.999)))}
            """
    }

    enum Shape: String, ExpressibleByArgument, Sendable {
        case transaction
        case statement
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func round1(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    static func round3(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
