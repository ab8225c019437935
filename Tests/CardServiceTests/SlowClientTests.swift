import CardService
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client that sends its request slowly is cut off within the read timeout, while others are
/// served; an idle connection is closed after the idle timeout. Real sockets against the app.
@Suite("card-app slow clients")
struct SlowClientTests {
    /// A TCP connection to 127.0.0.1:`port` that reads without blocking a thread.
    final class RawConnection: @unchecked Sendable {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw CocoaError(.fileReadUnknown) }
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }

        func send(_ text: String) {
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }

        /// Waits up to `limit` for the server to close the connection; how long that took, or nil.
        func waitForClose(limit: Duration) async throws -> Duration? {
            let start = ContinuousClock.now
            var buffer = [UInt8](repeating: 0, count: 4096)
            while ContinuousClock.now - start < limit {
                let read = recv(descriptor, &buffer, buffer.count, 0)
                if read == 0 { return ContinuousClock.now - start }
                if read < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return ContinuousClock.now - start }
                try await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }

        deinit { close(descriptor) }
    }

    @Test func aClientSendingItsHeadersSlowlyIsCutOffWhileOthersAreServed() async throws {
        try await withCardApp(limits: ServerLimits(idleTimeout: .seconds(60), readTimeout: .seconds(1))) { app in
            let port = try #require(app.client.port)
            let slow = try RawConnection(port: port)
            slow.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            // Others are served while it dawdles.
            for _ in 0..<5 {
                #expect(try await app.send(.get, "/health/live", token: nil).status == .ok)
            }
            slow.send("X-Slow: 1\r\n")
            let closedAfter = try await slow.waitForClose(limit: .seconds(30))
            #expect(closedAfter != nil, "a slow client kept its connection past the read timeout")
            #expect(try await app.send(.get, "/health/live", token: nil).status == .ok)
        }
    }

    @Test func aWholeRequestOnAKeptAliveConnectionIsNotCutOff() async throws {
        try await withCardApp(limits: ServerLimits(idleTimeout: .seconds(60), readTimeout: .seconds(1))) { app in
            let port = try #require(app.client.port)
            let connection = try RawConnection(port: port)
            // Two requests, more than the read timeout apart, on one connection: the wait between
            // them is idle time, not a slow request.
            connection.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try await Task.sleep(for: .milliseconds(1_500))
            connection.send("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            var received = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 4096)
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(30) {
                let read = recv(connection.descriptor, &buffer, buffer.count, 0)
                if read > 0 { received += buffer[0..<read] } else if read == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let text = String(decoding: received, as: UTF8.self)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count - 1 == 2, "\(text)")
        }
    }
}
