import Hummingbird
import Logging
import Metrics
import PoolDatabase
import PostgresNIO
import Prometheus

/// `GET /health/live`, `GET /health/ready` and `GET /metrics`: no client keys and no tokens;
/// `/metrics`, which tells business volumes, behind its own credential when one is set.
struct OperationsRoutes<Context: RequestContext> {
    let database: PostgresClient
    let registry: PrometheusCollectorRegistry
    /// The pool's available pairs: a `count(*)` scans the pool, and a level fifteen seconds old
    /// is as good for alerting.
    let poolLevel: RecentValue<Int>
    /// The last readiness check's result, a few seconds old at most.
    let readiness: RecentValue<Bool>
    /// Connects once outside the pool when readiness fails, to name the cause (the pool only
    /// times out while it retries a refused password); nil: no probe.
    let probe: (@Sendable () async -> DatabaseError?)?
    /// The SHA-256 of `CARD_APP_METRICS_TOKEN`, which a scrape must present; nil: open.
    let metricsTokenHash: [UInt8]?
    let logger: Logger

    func add(to router: Router<Context>) {
        router.get("health/live") { _, _ in Status(status: "live") }
        router.get("health/ready", use: ready)
        router.get("metrics", use: metrics)
    }

    /// Ready when the database answers within 2 s; otherwise 503, so the load balancer looks
    /// elsewhere. The answer is at most a few seconds old (`readiness`).
    @Sendable func ready(_ request: Request, context: Context) async throws -> Status {
        let database = database
        let ready = await readiness.value {
            do {
                try await withTimeout(.seconds(2)) {
                    _ = try await database.query("SELECT 1")
                }
                return true
            } catch {
                var failure = DatabaseError(operation: "check readiness", underlying: error)
                if let probe, let cause = await probe() { failure = cause }
                // A refused password is not an outage: the secret was rotated and this task still
                // holds the old one (a new deployment brings the new secret), so say that.
                let message: Logger.Message =
                    failure.isLoginRefused
                    ? "not ready: the database refused the password; a rotated secret reaches the tasks with a new deployment"
                    : "not ready: the database does not answer"
                context.logger.warning(message, metadata: ["error": "\(failure)"])
                return false
            }
        }
        guard ready == true else { throw APIError.unavailable("the database does not answer") }
        return Status(status: "ready")
    }

    /// Prometheus text. The pool level comes from `poolLevel`: at most one count per interval.
    @Sendable func metrics(_ request: Request, context: Context) async throws -> Response {
        if let metricsTokenHash {
            let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let presented, ClientSet.constantTimeEquals(ClientSet.sha256(presented), metricsTokenHash) else {
                throw APIError.unauthorized
            }
        }
        let reader = PoolStatisticsReader(client: database, logger: logger)
        if let available = await poolLevel.value(read: reader.availableForMetrics) {
            Gauge(label: "tome_pool.available_pairs").record(available)
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: buffer))
        )
    }

    struct Status: ResponseEncodable {
        var status: String
    }
}

extension PoolStatisticsReader {
    /// The pool's available pairs for `/metrics`; nil when the count fails or takes over 2 s, so
    /// that the scrape answers with the last level instead of waiting on a struggling database.
    @Sendable func availableForMetrics() async -> Int? {
        try? await withTimeout(.seconds(2)) { try await availableCount() }
    }
}
