import Hummingbird

/// One JSON line per request (`"logger": "card-app.access"`, at info level): method, route
/// pattern, status, duration, request id and client id. Never a token, a key or a body: the
/// route is the pattern (`/v1/cards/{cardId}`), not the path, and headers are not read.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = CardRequestContext

    let sink: any LineSink

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            write(request, context: context, status: response.status, since: started)
            return response
        } catch let error as any HTTPResponseError {
            write(request, context: context, status: error.status, since: started)
            throw error
        } catch {
            write(request, context: context, status: .internalServerError, since: started)
            throw error
        }
    }

    private func write(_ request: Request, context: Context, status: HTTPResponse.Status, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        let line = JSONText.object([
            // The names and level spelling of card-app's other log lines on standard error
            // (JSONLogHandler), so a log pipeline reads one shape there.
            ("timestamp", JSONText.now()),
            ("logger", JSONText.string("card-app.access")),
            ("level", JSONText.string("INFO")),
            ("method", JSONText.string(request.method.rawValue)),
            ("route", JSONText.string(context.routePattern)),
            ("status", String(status.code)),
            ("durationMs", String((milliseconds * 1000).rounded() / 1000)),
            ("requestId", JSONText.string(context.id)),
            ("client", context.caller.clientId.map(JSONText.string)),
        ])
        // The access log is for operators; a full disk must not fail the request (the audit trail does).
        try? sink.write(line: line)
    }
}
