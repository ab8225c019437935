import Hummingbird
import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension SimulatorResponder {
    /// Sorted keys keep answers and stats stable for people and diffs.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static var notFound: Response {
        error(404, "not_found", "no such route")
    }

    static func methodNotAllowed(allow: String) -> Response {
        var response = error(405, "method_not_allowed", "use \(allow) on this route")
        response.headers[.allow] = allow
        return response
    }

    static func injectedError(_ status: Int, retryAfterSeconds: Double?) -> Response {
        let code =
            switch status {
            case 429: "rate_limited"
            case 400: "bad_request"
            case 401: "unauthenticated"
            case 403: "forbidden"
            case 404: "not_found"
            case 409: "conflict"
            case 503: "unavailable"
            case 500..<600: "internal"
            default: "error"
            }
        var response = error(status, code, "injected fault")
        if let retryAfterSeconds {
            let whole = retryAfterSeconds.rounded(.down) == retryAfterSeconds
            response.headers[.retryAfter] = whole ? String(Int(retryAfterSeconds)) : String(retryAfterSeconds)
        }
        return response
    }

    static func error(_ status: Int, _ code: String, _ message: String) -> Response {
        json(ErrorBody(code: code, message: message), status: status)
    }

    /// Encodes `value`; with a `brokenJSON` fault the document is cut in half.
    static func json(_ value: some Encodable, status: Int = 200, spoiled fault: InjectedFault? = nil) -> Response {
        var data = (try? Self.encoder.encode(value)) ?? Data("{}".utf8)
        if fault == .brokenJSON {
            data = Data(data.prefix(max(1, data.count / 2)))
        }
        return Response(
            status: .init(code: status),
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Spoils answers the way a buggy TOME or a broken proxy would.
enum Spoiler {
    static func spoil(_ tokens: inout [String], with fault: InjectedFault?) {
        switch fault {
        case .wrongCount: tokens.removeLast()
        case .duplicateToken where tokens.count >= 2: tokens[tokens.count - 1] = tokens[0]
        case .duplicateToken: tokens.append(tokens[0])
        default: break
        }
    }

    static func spoil(_ mappings: inout [TokenMapping], with fault: InjectedFault?) {
        switch fault {
        case .wrongCount: mappings.removeLast()
        case .duplicateToken where mappings.count >= 2: mappings[mappings.count - 1].token = mappings[0].token
        case .duplicateToken: mappings.append(mappings[0])
        default: break
        }
    }

    static func spoil(_ answer: inout DetokenizeResponse, with fault: InjectedFault?) {
        switch fault {
        case .wrongCount:
            if !answer.values.isEmpty {
                answer.values.removeLast()
            } else {
                answer.unknown?.removeLast()
            }
        case .duplicateToken:
            if let first = answer.values.first {
                answer.values.append(first)
            } else if let first = answer.unknown?.first {
                answer.unknown?.append(first)
            }
        default: break
        }
    }
}
