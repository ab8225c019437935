extension HTTPTOMEClient.Configuration {
    /// The longest one call can take with these settings before it answers or gives up: every
    /// attempt to its request timeout (which includes connecting), and every wait between them.
    public var longestCall: Duration {
        requestTimeout * retry.maxAttempts + retry.longestWaits
    }
}
