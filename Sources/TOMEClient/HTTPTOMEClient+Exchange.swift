import ProcessConfiguration
import AsyncHTTPClient
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL
import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension HTTPTOMEClient {
    /// One TOME call: attempts with retries, answer decoding and validation, metrics and logs.
    func exchange<Body: Encodable, Answer: Decodable, Validated>(
        namespace: String,
        operation: TOMEOperation,
        body: Body?,
        answer: Answer.Type,
        validate: (Answer) -> Result<Validated, AnswerProblem>
    ) async throws(TOMEError) -> Validated {
        guard NamespaceName.isValid(namespace) else {
            throw TOMEError(
                kind: .invalidArgument, namespace: "invalid", operation: operation, isRetryable: false,
                reason: "namespace names use only letters, digits, '_' and '-' (at most \(NamespaceName.maxLength))"
            )
        }
        let payload: ByteBuffer?
        do {
            payload = try body.map { ByteBuffer(bytes: try JSONEncoder().encode($0)) }
        } catch {
            throw TOMEError(
                kind: .invalidArgument, namespace: namespace, operation: operation, isRetryable: false,
                reason: "the request could not be encoded as JSON", underlying: error
            )
        }
        let started = ContinuousClock.now
        var generator = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            let outcome = await self.attempt(namespace: namespace, operation: operation, payload: payload, validate: validate)
            switch outcome {
            case .success(let validated):
                record(namespace: namespace, operation: operation, outcome: "ok", since: started)
                return validated
            case .failure(var error):
                guard
                    error.isRetryable, !Task.isCancelled,
                    let delay = configuration.retry.delay(after: attempt, retryAfter: error.retryAfter, using: &generator)
                else {
                    error.attempts = attempt
                    record(namespace: namespace, operation: operation, outcome: error.metricLabel, since: started)
                    logger.warning(
                        "TOME call failed",
                        metadata: [
                            LogKey.namespace: "\(namespace)", LogKey.operation: "\(operation)",
                            LogKey.attempts: "\(attempt)", LogKey.error: "\(error)",
                        ]
                    )
                    throw error
                }
                Counter(label: "tome.client.retries", dimensions: dimensions(namespace, operation, error.metricLabel)).increment()
                logger.debug(
                    "TOME call will be retried",
                    metadata: [
                        LogKey.namespace: "\(namespace)", LogKey.operation: "\(operation)",
                        LogKey.attempts: "\(attempt)", LogKey.error: "\(error)", LogKey.delayMs: "\(delay.milliseconds)",
                    ]
                )
                if (try? await Task.sleep(for: delay)) == nil {
                    // Cancelled while waiting to retry: the last failure is the answer.
                    error.attempts = attempt
                    throw error
                }
                attempt += 1
            }
        }
    }

    private func attempt<Answer: Decodable, Validated>(
        namespace: String,
        operation: TOMEOperation,
        payload: ByteBuffer?,
        validate: (Answer) -> Result<Validated, AnswerProblem>
    ) async -> Result<Validated, TOMEError> {
        do {
            let body = try await attemptOnce(namespace: namespace, operation: operation, payload: payload)
            return .success(try decodeAndValidate(body, namespace: namespace, operation: operation, validate: validate))
        } catch {
            return .failure(error)
        }
    }

    /// Sends one attempt and returns the body of a 2xx answer; anything else becomes a `TOMEError`.
    private func attemptOnce(namespace: String, operation: TOMEOperation, payload: ByteBuffer?) async throws(TOMEError) -> ByteBuffer {
        var request = HTTPClientRequest(url: configuration.baseURL + operation.path(namespace: namespace))
        request.method = HTTPMethod(rawValue: operation.httpMethod)
        request.headers.add(name: "Accept", value: "application/json")
        if let payload {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(payload)
        }
        if let authToken = configuration.authToken {
            request.headers.add(name: "Authorization", value: "Bearer \(authToken)")
        }
        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer
        do {
            let deadline = NIODeadline.now() + .nanoseconds(configuration.requestTimeout.nanoseconds)
            let response = try await httpClient.execute(request, deadline: deadline)
            status = Int(response.status.code)
            headers = response.headers
            body = try await response.body.collect(upTo: configuration.maxResponseBytes)
        } catch {
            throw Self.transportError(error, namespace: namespace, operation: operation)
        }
        if (200..<300).contains(status) { return body }
        throw Self.statusError(status: status, headers: headers, body: body, namespace: namespace, operation: operation)
    }

    private func decodeAndValidate<Answer: Decodable, Validated>(
        _ body: ByteBuffer,
        namespace: String,
        operation: TOMEOperation,
        validate: (Answer) -> Result<Validated, AnswerProblem>
    ) throws(TOMEError) -> Validated {
        let answer: Answer
        do {
            // Strict JSON first: Foundation's decoder would also take an answer with trailing commas.
            guard StrictJSON.isValid(body.readableBytesView) else { throw NotStrictJSON() }
            answer = try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
        } catch {
            // Both operations that write are idempotent, so asking again is safe and may get a clean answer.
            throw TOMEError(
                kind: .invalidAnswer, namespace: namespace, operation: operation, status: 200, isRetryable: true,
                reason: "answer is not the expected JSON", underlying: error
            )
        }
        switch validate(answer) {
        case .success(let validated):
            return validated
        case .failure(let problem):
            throw TOMEError(
                kind: .invalidAnswer, namespace: namespace, operation: operation, status: 200, isRetryable: true,
                reason: problem.description
            )
        }
    }

    static func statusError(status: Int, headers: HTTPHeaders, body: ByteBuffer, namespace: String, operation: TOMEOperation) -> TOMEError {
        let serverCode = (try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)))?.error.code
        let retryAfter = headers.first(name: "Retry-After").flatMap(RetryAfter.parse)
        let (kind, retryable, reason): (TOMEError.Kind, Bool, String) =
            switch status {
            case 429: (.rateLimited, true, "TOME is rate limiting us")
            case 408: (.timeout, true, "TOME timed out reading the request")
            case 400: (.rejected, false, "TOME rejected the request as invalid")
            case 401: (.rejected, false, "TOME did not accept our credentials")
            case 403: (.rejected, false, "TOME forbids this call for our credentials")
            case 404: (.rejected, false, "TOME does not know this namespace or route")
            case 409: (.rejected, false, "TOME reports a conflict (request id reused with another request?)")
            case 501: (.rejected, false, "TOME does not implement this operation")
            case 500..<600: (.unavailable, true, "TOME failed to serve the request")
            case 400..<500: (.rejected, false, "TOME refused the request")
            default: (.invalidAnswer, false, "TOME answered with an unexpected status")
            }
        return TOMEError(
            kind: kind, namespace: namespace, operation: operation, status: status, serverCode: serverCode,
            isRetryable: retryable, retryAfter: retryAfter, reason: reason
        )
    }

    static func transportError(_ error: any Error, namespace: String, operation: TOMEOperation) -> TOMEError {
        if let clientError = error as? HTTPClientError {
            switch clientError {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
                return TOMEError(
                    kind: .timeout, namespace: namespace, operation: operation, isRetryable: true,
                    reason: "no answer in time (\(clientError.shortDescription))", underlying: error
                )
            case .tlsHandshakeTimeout:
                return TOMEError(
                    kind: .tls, namespace: namespace, operation: operation, isRetryable: true,
                    reason: "TLS handshake timed out", underlying: error
                )
            case .cancelled:
                return TOMEError(
                    kind: .transport, namespace: namespace, operation: operation, isRetryable: false,
                    reason: "the call was cancelled", underlying: error
                )
            default:
                break
            }
        }
        if error is NIOTooManyBytesError {
            return TOMEError(
                kind: .invalidAnswer, namespace: namespace, operation: operation, isRetryable: false,
                reason: "answer is larger than the configured limit", underlying: error
            )
        }
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError {
            return TOMEError(
                kind: .tls, namespace: namespace, operation: operation, isRetryable: false,
                reason: "TLS failed: check the CA and client certificate settings", underlying: error
            )
        }
        return TOMEError(
            kind: .transport, namespace: namespace, operation: operation, isRetryable: true,
            reason: "could not reach TOME or the connection broke", underlying: error
        )
    }

    private func record(namespace: String, operation: TOMEOperation, outcome: String, since start: ContinuousClock.Instant) {
        Timer(label: "tome.client.request.duration", dimensions: dimensions(namespace, operation, outcome))
            .recordNanoseconds((ContinuousClock.now - start).nanoseconds)
    }

    private func dimensions(_ namespace: String, _ operation: TOMEOperation, _ outcome: String) -> [(String, String)] {
        [("tome.namespace", namespace), ("tome.operation", operation.rawValue), ("outcome", outcome)]
    }
}

/// `Retry-After` in delta-seconds (`"2"`, or a fraction such as `"0.5"`). An HTTP date is
/// ignored and the normal backoff applies, because clocks between us and TOME may disagree.
enum RetryAfter {
    static func parse(_ text: String) -> Duration? {
        guard let seconds = Double(text.trimmingWhitespace()), seconds.isFinite, seconds >= 0, seconds < 86_400 else {
            return nil
        }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
}

/// Logger metadata keys of the TOME client, in one place.
enum LogKey {
    static let namespace = "tome.namespace"
    static let operation = "tome.operation"
    static let attempts = "tome.attempts"
    static let error = "tome.error"
    static let delayMs = "tome.retry_delay_ms"
}

/// A TOME answer that is not RFC 8259 JSON.
private struct NotStrictJSON: Error, CustomStringConvertible {
    var description: String { "not valid JSON (RFC 8259)" }
}
