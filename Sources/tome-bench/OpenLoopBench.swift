import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// An open-loop load generator: requests start on a fixed schedule whatever the answers' latency,
/// and each latency is measured from the request's intended start, as wrk2 and `pgbench --rate`
/// do. A closed loop (wrk's fixed connections) slows its own arrivals down when the server is
/// slow, and so hides the queueing a real arrival rate would meet (coordinated omission).
struct OpenLoopBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open-loop",
        abstract: "POST one body to a URL at a fixed rate; print latency percentiles from each request's intended start as JSON."
    )

    @Option(help: "The URL to POST to.") var url: String
    @Option(help: "Requests per second, started on a fixed schedule.") var rate: Double
    @Option(help: "Measured seconds.") var seconds = 5.0
    @Option(help: "Unmeasured seconds first, at the same rate.") var warmup = 1.0
    @Option(help: "The JSON request body.") var body: String
    @Option(name: .customLong("header"), help: "An extra request header, `Name: value` (repeatable).") var headers: [String] = []
    @Option(help: "Most requests in flight (and keep-alive connections); a request due beyond it waits, and its wait counts.")
    var inFlight = 64

    func validate() throws {
        guard rate > 0, rate <= 100_000 else { throw ValidationError("--rate must be between 0 and 100000 per second") }
        guard seconds > 0, warmup >= 0 else { throw ValidationError("--seconds must be positive and --warmup not negative") }
        guard inFlight >= 1 else { throw ValidationError("--in-flight must be at least 1") }
        for header in headers where header.firstIndex(of: ":") == nil {
            throw ValidationError("--header \"\(header)\" is not `Name: value`")
        }
    }

    func run() async throws {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        for header in headers {
            let colon = header.firstIndex(of: ":")!
            request.headers.add(
                name: String(header[..<colon]).trimmingSpaces, value: String(header[header.index(after: colon)...]).trimmingSpaces)
        }
        request.body = .bytes(ByteBuffer(string: body))
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: inFlight)
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let schedule = Schedule(rate: rate, warmup: warmup, measured: seconds)
        let outcome: LatencyTally
        do {
            outcome = try await Self.drive(client: client, request: request, schedule: schedule, inFlight: inFlight)
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
        print(outcome.json(rate: rate, seconds: seconds))
    }

    /// Starts request `i` at `start + i / rate`; never more than `inFlight` at once.
    static func drive(client: HTTPClient, request: HTTPClientRequest, schedule: Schedule, inFlight: Int) async throws -> LatencyTally {
        // A moment to set up before the first request is due, so it is not late already.
        let start = ContinuousClock.now + .milliseconds(50)
        return await withTaskGroup(of: Answer.self) { group in
            var outcome = LatencyTally()
            var running = 0
            for index in 0..<schedule.requests {
                let intended = start + schedule.offset(of: index)
                if running >= inFlight, let answer = await group.next() {
                    running -= 1
                    outcome.add(answer)
                }
                if ContinuousClock.now < intended {
                    try? await Task.sleep(until: intended, tolerance: .microseconds(50))
                }
                let measured = index >= schedule.warmupRequests
                running += 1
                group.addTask {
                    let ok: Bool
                    do {
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        ok = (200..<300).contains(response.status.code)
                    } catch {
                        ok = false
                    }
                    let finished = ContinuousClock.now
                    return Answer(measured: measured, ok: ok, latency: finished - intended, finished: finished - start)
                }
            }
            for await answer in group { outcome.add(answer) }
            outcome.measuredFrom = schedule.offset(of: schedule.warmupRequests)
            return outcome
        }
    }
}

/// When each request is due.
struct Schedule {
    let rate: Double
    let requests: Int
    let warmupRequests: Int

    init(rate: Double, warmup: Double, measured: Double) {
        self.rate = rate
        warmupRequests = Int((warmup * rate).rounded())
        requests = warmupRequests + max(1, Int((measured * rate).rounded()))
    }

    func offset(of index: Int) -> Duration {
        .nanoseconds(Int64((Double(index) / rate * 1e9).rounded()))
    }
}

struct Answer: Sendable {
    let measured: Bool
    let ok: Bool
    /// From the intended start to the last byte of the answer.
    let latency: Duration
    /// Since the schedule's start.
    let finished: Duration
}

/// The measured answers' latencies, failures, and how fast they came.
struct LatencyTally {
    var latencies: [Duration] = []
    var failures = 0
    var lastFinished = Duration.zero
    var measuredFrom = Duration.zero

    mutating func add(_ answer: Answer) {
        guard answer.measured else { return }
        if answer.ok { latencies.append(answer.latency) } else { failures += 1 }
        lastFinished = max(lastFinished, answer.finished)
    }

    func json(rate: Double, seconds: Double) -> String {
        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return ReserveBench.milliseconds(sorted[max(0, index)])
        }
        // Answers per second over the time they took to come back: below the rate, the server fell behind.
        let span = max(seconds, ReserveBench.milliseconds(lastFinished - measuredFrom) / 1000)
        let answered = Double(sorted.count + failures) / span
        return """
            {"rate": \(ReserveBench.round1(rate)), "answered_per_s": \(ReserveBench.round1(answered)), \
            "requests": \(sorted.count + failures), "failures": \(failures), \
            "p50_ms": \(ReserveBench.round3(percentile(0.5))), "p99_ms": \(ReserveBench.round3(percentile(0.99))), \
            "p999_ms": \(ReserveBench.round3(percentile(0.999))), "max_ms": \(ReserveBench.round3(percentile(1)))}
            """
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
