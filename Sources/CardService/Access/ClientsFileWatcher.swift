public import ServiceLifecycle
import UnixSignals

/// Reloads the clients file on SIGHUP and when it changes (polled), so keys rotate with no
/// restart: add the new key's hash beside the old, move callers over, then remove the old.
public struct ClientsFileWatcher: Service {
    let registry: ClientRegistry
    let pollInterval: Duration

    public init(registry: ClientRegistry, pollInterval: Duration = .seconds(1)) {
        self.registry = registry
        self.pollInterval = pollInterval
    }

    public func run() async throws {
        guard registry.path != nil else {
            // Nothing to watch (CARD_APP_TOKEN); a service that ended early would stop the app.
            try await gracefulShutdown()
            return
        }
        let registry = registry
        let pollInterval = pollInterval
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) {
                        registry.reload(reason: "SIGHUP")
                    }
                }
                group.addTask {
                    while (try? await Task.sleep(for: pollInterval)) != nil {
                        registry.reload(reason: "file changed", onlyIfChanged: true)
                    }
                }
            }
        }
    }
}
