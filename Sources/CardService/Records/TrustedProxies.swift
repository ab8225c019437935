public import ProcessConfiguration

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The networks of the proxies in front of card-app (a load balancer), whose `X-Forwarded-For`
/// names the client (`CARD_APP_TRUSTED_PROXIES`, comma-separated CIDRs such as `10.0.0.0/16`).
/// From anyone else the header is the client's own word and is not believed.
public struct TrustedProxies: Sendable, Equatable {
    struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefixLength: Int

        func contains(_ other: [UInt8]) -> Bool {
            guard other.count == address.count else { return false }
            var remaining = prefixLength
            for (mine, theirs) in zip(address, other) where remaining > 0 {
                let bits = min(8, remaining)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let networks: [Network]

    public static let none = TrustedProxies(networks: [])

    init(networks: [Network]) {
        self.networks = networks
    }

    /// Parses `10.0.0.0/16, fd00::/8`; nil, with the entry that is not a network, when one is wrong.
    public static func parse(_ text: String) -> Result<TrustedProxies, ConfigurationError> {
        var networks: [Network] = []
        for entry in text.split(separator: ",").map({ String($0).trimmingWhitespace() }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let address = Self.bytes(parts[0]) else { return .failure(Self.notANetwork(entry)) }
            let length = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let length, (0...address.count * 8).contains(length) else { return .failure(Self.notANetwork(entry)) }
            networks.append(Network(address: address, prefixLength: length))
        }
        return .success(TrustedProxies(networks: networks))
    }

    /// The client's address: the peer's, or, when the peer is a trusted proxy, the right-most
    /// `X-Forwarded-For` entry that is not itself one (proxies append what they saw).
    func clientAddress(peer: String?, forwardedFor: String?) -> String? {
        guard let peer, isTrusted(peer), let forwardedFor else { return peer }
        let hops = forwardedFor.split(separator: ",").map { String($0).trimmingWhitespace() }.filter { !$0.isEmpty }
        for hop in hops.reversed() where !isTrusted(hop) {
            return Self.bytes(hop) == nil ? peer : hop
        }
        return hops.first ?? peer
    }

    private func isTrusted(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return networks.contains { $0.contains(bytes) }
    }

    /// An IPv4 or IPv6 address's bytes, or nil when the text is neither.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}

extension TrustedProxies {
    static func notANetwork(_ entry: some StringProtocol) -> ConfigurationError {
        ConfigurationError(problems: ["\"\(entry.prefix(60))\" is not an address or network (CIDR such as 10.0.0.0/16)"])
    }
}
