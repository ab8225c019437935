public import Hummingbird
import HummingbirdCore
import NIOCore
import Resilience

/// What keeps slow and greedy clients from holding the server: an idle connection is closed, a
/// request must arrive whole in time, and connections beyond a maximum wait in the backlog.
public struct ServerLimits: Sendable, Equatable {
    /// A connection with no request in flight is closed after this (`CARD_APP_IDLE_TIMEOUT_SECONDS`,
    /// default 75 s: longer than a load balancer's usual 60 s, so the balancer closes first and
    /// never sends on a connection card-app is closing).
    public var idleTimeout: Duration
    /// A request must be received whole this long after its first byte (`CARD_APP_READ_TIMEOUT_SECONDS`,
    /// default 10 s): a client sending its headers or body slowly is cut off.
    public var readTimeout: Duration
    /// Connections open at once (`CARD_APP_MAX_CONNECTIONS`, default 1024); more wait to be accepted.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(75), readTimeout: Duration = .seconds(10), maxConnections: Int = 1024) {
        self.idleTimeout = idleTimeout
        self.readTimeout = readTimeout
        self.maxConnections = maxConnections
    }

    /// The HTTP/1.1 server with these limits.
    public var server: HTTPServerBuilder {
        let readTimeout = TimeAmount.nanoseconds(readTimeout.nanoseconds)
        return .http1(
            configuration: .init(
                additionalChannelHandlers: RequestReadTimeout.handlers(timeout: readTimeout),
                idleTimeout: .nanoseconds(idleTimeout.nanoseconds)
            )
        )
    }

    /// The application's configuration for `address`, with the connection maximum.
    public func configuration(address: BindAddress, serverName: String) -> ApplicationConfiguration {
        ApplicationConfiguration(
            address: address, serverName: serverName, availableConnectionsDelegate: MaximumAvailableConnections(maxConnections)
        )
    }
}
