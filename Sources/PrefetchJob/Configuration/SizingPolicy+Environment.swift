public import ProcessConfiguration
import TOMEClient

extension SizingPolicy {
    /// The job's sizing policy from its own variables (`POOL_*`, `REFILL_MAX_PAIRS`,
    /// `TOME_BATCH_SIZE`, `TOME_CONCURRENCY`, `TOME_REQUEST_TIMEOUT_MS`), read by the same readers
    /// as the job's, so that a simulation runs what is deployed; neither the database nor TOME is needed.
    public init(environment: [String: String]) throws(ConfigurationError) {
        var reader = EnvironmentReader(environment)
        let settings = SizingSettings(reader: &reader)
        let requestTimeout = HTTPTOMEClient.Configuration.requestTimeout(reader: &reader)
        try reader.finish()
        self.init(settings: settings, requestTimeout: requestTimeout)
    }
}
