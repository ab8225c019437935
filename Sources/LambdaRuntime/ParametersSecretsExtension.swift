import AsyncHTTPClient
import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads secrets through the AWS Parameters and Secrets Lambda Extension: a layer that serves
/// Secrets Manager secrets and SSM parameters on a local HTTP port, caching them for its TTL
/// (`SECRETS_MANAGER_TTL`, `SSM_PARAMETER_STORE_TTL`; 300 s by default).
///
/// The value is read at run time, so it never sits in the function's configuration, and a
/// rotated password can be read again without a redeploy.
public struct ParametersSecretsExtension: Sendable {
    public struct Configuration: Sendable {
        /// Where the extension listens. Default `localhost`.
        public var host: String
        /// `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`; default 2773.
        public var port: Int
        /// The function's `AWS_SESSION_TOKEN`, which the extension requires on every request.
        public var sessionToken: String
        /// How long one read may take, the extension's own call to AWS included. Default 5 s.
        public var timeout: Duration

        public init(host: String = "localhost", port: Int = 2773, sessionToken: String, timeout: Duration = .seconds(5)) {
            self.host = host
            self.port = port
            self.sessionToken = sessionToken
            self.timeout = timeout
        }
    }

    public let configuration: Configuration
    let http: HTTPClient

    /// Reads through the process-wide HTTP client, which needs no shutdown.
    public init(configuration: Configuration) {
        self.configuration = configuration
        self.http = .shared
    }

    /// The secret's value. Errors name the secret and what went wrong, never the value.
    public func read(_ reference: SecretReference) async throws(SecretError) -> String {
        var request = HTTPClientRequest(url: url(for: reference))
        request.headers.add(name: "X-Aws-Parameters-Secrets-Token", value: configuration.sessionToken)
        let deadline = NIODeadline.now() + .nanoseconds(Int64(configuration.timeout / .nanoseconds(1)))
        let (status, body) = try await send(request, deadline: deadline, reference: reference)
        guard status == 200 else {
            throw SecretError(reference, Self.meaning(ofStatus: status))
        }
        return try Self.value(in: body, of: reference)
    }

    private func url(for reference: SecretReference) -> String {
        let base = "http://\(configuration.host):\(configuration.port)"
        switch reference {
        case .secretsManager(let id):
            return "\(base)/secretsmanager/get?secretId=\(Self.queryEscaped(id))"
        case .parameter(let name):
            return "\(base)/systemsmanager/parameters/get?name=\(Self.queryEscaped(name))&withDecryption=true"
        }
    }

    /// The extension may still be starting when the function's init begins: a refused connection
    /// is tried again until the deadline, anything else is final.
    private func send(_ request: HTTPClientRequest, deadline: NIODeadline, reference: SecretReference) async throws(SecretError) -> (Int, [UInt8]) {
        while true {
            do {
                let response = try await http.execute(request, deadline: deadline)
                let body = try await response.body.collect(upTo: 256 * 1024)
                return (Int(response.status.code), Array(body.readableBytesView))
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                throw SecretError(reference, "the Parameters and Secrets extension did not answer within \(configuration.timeout) (can the function reach Secrets Manager and SSM: a VPC endpoint or a NAT?)")
            } catch {
                if NIODeadline.now() + .milliseconds(100) < deadline, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    continue
                }
                throw SecretError(reference, "the Parameters and Secrets extension cannot be reached on \(configuration.host):\(configuration.port) (is its layer attached?)")
            }
        }
    }

    private static func meaning(ofStatus status: Int) -> String {
        switch status {
        case 400: "the extension answered 400: the secret does not exist, or the function may not read it (check the role's secretsmanager:GetSecretValue / ssm:GetParameter and kms:Decrypt)"
        case 401, 403: "the extension answered \(status): the session token was refused"
        case 404: "the extension answered 404: it does not know this kind of request"
        default: "the extension answered HTTP \(status)"
        }
    }

    /// Secrets Manager answers `{"SecretString": "…", …}`; SSM `{"Parameter": {"Value": "…", …}}`.
    private static func value(in body: [UInt8], of reference: SecretReference) throws(SecretError) -> String {
        let value: String?
        switch reference {
        case .secretsManager:
            value = (try? JSONDecoder().decode(SecretsManagerAnswer.self, from: Data(body)))?.SecretString
        case .parameter:
            value = (try? JSONDecoder().decode(ParameterAnswer.self, from: Data(body)))?.Parameter.Value
        }
        guard let value, !value.isEmpty else {
            throw SecretError(reference, "the extension's answer holds no text value (a binary secret, or not the JSON it documents)")
        }
        return value
    }

    private struct SecretsManagerAnswer: Decodable {
        var SecretString: String?
    }

    private struct ParameterAnswer: Decodable {
        struct Parameter: Decodable { var Value: String? }
        var Parameter: Parameter
    }

    private static func queryEscaped(_ text: String) -> String {
        var escaped = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if character.isASCII && (character.isLetter || character.isNumber || "-_.~".contains(character)) {
                escaped.append(character)
            } else {
                escaped += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return escaped
    }
}

/// A secret could not be read. Names the secret (its ARN or parameter name), never its value.
public struct SecretError: Error, Sendable, CustomStringConvertible {
    public let reference: SecretReference
    public let problem: String

    init(_ reference: SecretReference, _ problem: String) {
        self.reference = reference
        self.problem = problem
    }

    public var description: String { "could not read \(reference): \(problem)" }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
