import NIOHTTPTypes
import NIOCore

/// Closes a connection whose request is not received whole within a time, counted from the
/// request's first byte: a client that sends its headers (or body) slowly holds a connection and
/// its memory, and enough of them hold the server. Hummingbird's idle timeout covers a connection
/// with no request at all; this covers one that has started a request and does not finish it.
///
/// Two handlers share one connection's state: `FirstByte`, first in the pipeline, sees the bytes
/// as they arrive (a request has begun); `WholeRequest`, after HTTP decoding, sees the request's
/// end (it was read in time) and the response's end (the next request may begin).
enum RequestReadTimeout {
    /// The handlers for one connection; `WholeRequest` puts `FirstByte` at the head of the pipeline.
    static func handlers(timeout: TimeAmount) -> [any RemovableChannelHandler] {
        [WholeRequest(state: State(timeout: timeout))]
    }

    /// One connection's state, touched only on its event loop.
    final class State {
        let timeout: TimeAmount
        var deadline: Scheduled<Void>?
        /// Between a response's end and the next request's first byte.
        var awaitingRequest = true

        init(timeout: TimeAmount) {
            self.timeout = timeout
        }

        func requestBegan(context: ChannelHandlerContext) {
            guard awaitingRequest, deadline == nil else { return }
            awaitingRequest = false
            let channel = context.channel
            deadline = context.eventLoop.scheduleTask(in: timeout) {
                channel.close(promise: nil)
            }
        }

        func requestRead() {
            deadline?.cancel()
            deadline = nil
        }

        func responseSent() {
            awaitingRequest = true
        }
    }

    final class FirstByte: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let state: State

        init(state: State) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            state.requestBegan(context: context)
            context.fireChannelRead(data)
        }
    }

    final class WholeRequest: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        typealias InboundOut = HTTPRequestPart
        typealias OutboundIn = HTTPResponsePart
        typealias OutboundOut = HTTPResponsePart
        let state: State

        init(state: State) {
            self.state = state
        }

        func handlerAdded(context: ChannelHandlerContext) {
            try? context.pipeline.syncOperations.addHandler(FirstByte(state: state), position: .first)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .end = unwrapInboundIn(data) { state.requestRead() }
            context.fireChannelRead(data)
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) { state.responseSent() }
            context.write(data, promise: promise)
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.requestRead()
            context.fireChannelInactive()
        }
    }
}

@available(*, unavailable)
extension RequestReadTimeout.State: Sendable {}
