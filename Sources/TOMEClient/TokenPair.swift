/// One card's tokens: the internal NS1 token and the external NS2 reference that stands for it.
public struct TokenPair: Sendable, Hashable, Codable {
    /// The internal token, stored and passed around by our systems.
    public var ns1Token: String
    /// The external reference shown to partners and customers; TOME's NS2 detokenize returns `ns1Token`.
    public var ns2Token: String

    public init(ns1Token: String, ns2Token: String) {
        self.ns1Token = ns1Token
        self.ns2Token = ns2Token
    }
}
