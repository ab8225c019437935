import Hummingbird
import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SimulatorResponder {
    /// `GET /admin/stats`, `POST /admin/reset`, `GET` and `PUT /admin/faults`. Never faulted or counted.
    func serveAdmin(_ request: Request, action: String) async throws -> Response {
        let method = request.method.rawValue
        switch (action, method) {
        case ("stats", "GET"):
            return Self.json(stats())
        case ("reset", "POST"):
            vault.reset()
            faults.resetCounts()
            faults.replace(configuration.faults)
            return Self.json(stats())
        case ("faults", "GET"):
            return Self.json(faults.settings)
        case ("faults", "PUT"):
            return await replaceFaults(request)
        case ("stats", _):
            return Self.methodNotAllowed(allow: "GET")
        case ("reset", _):
            return Self.methodNotAllowed(allow: "POST")
        case ("faults", _):
            return Self.methodNotAllowed(allow: "GET, PUT")
        default:
            return Self.notFound
        }
    }

    func stats() -> SimulatorStats {
        let counts = faults.counts
        return SimulatorStats(namespaces: vault.stats(), faultsInjected: counts.values.reduce(0, +), faults: counts)
    }

    private func replaceFaults(_ request: Request) async -> Response {
        let body: ByteBuffer
        switch await Self.readBody(request, required: true) {
        case .failure(let refusal): return Self.error(refusal.status, refusal.code, refusal.message)
        case .success(let read): body = read
        }
        let settings: FaultSettings
        do {
            settings = try JSONDecoder().decode(FaultSettings.self, from: Data(body.readableBytesView))
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            return Self.error(400, "invalid_faults", context.debugDescription)
        } catch {
            return Self.error(400, "invalid_json", "the body is not a fault settings JSON object")
        }
        let problems = settings.problems()
        guard problems.isEmpty else {
            return Self.error(400, "invalid_faults", problems.joined(separator: "; "))
        }
        faults.replace(settings)
        return Self.json(settings)
    }
}
