import TOMEWire

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A clients file that cannot be used, with every problem named (never a key: the file holds
/// hashes only, and no value is quoted beyond an id).
public struct ClientsFileError: Error, Sendable, CustomStringConvertible {
    public var problems: [String]

    public var description: String {
        "the clients file is refused: " + problems.joined(separator: "; ")
    }
}

extension ClientSet {
    /// Reads `{"clients": [{"id", "keySha256": [...], "scopes": [...]}]}`. Unknown fields and
    /// scopes, malformed hashes, a repeated id or a hash given to two clients are refused.
    public static func parse(_ bytes: [UInt8]) throws(ClientsFileError) -> ClientSet {
        guard StrictJSON.isValid(bytes), let document = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else {
            throw ClientsFileError(problems: ["it is not valid JSON"])
        }
        var problems: [String] = []
        guard case .object(let top) = document else { throw ClientsFileError(problems: ["the document must be an object"]) }
        for key in top.keys.sorted() where key != "clients" {
            problems.append("unknown field \"\(key.prefix(40))\" at the top level")
        }
        guard case .array(let entries)? = top["clients"] else {
            throw ClientsFileError(problems: problems + ["\"clients\" must be an array"])
        }
        if entries.isEmpty { problems.append("\"clients\" lists no client: nobody could call the API") }
        var clients: [APIClient] = []
        var owners: [[UInt8]: String] = [:]
        for (index, entry) in entries.enumerated() {
            if let client = parseClient(entry, at: "clients[\(index)]", problems: &problems) {
                if clients.contains(where: { $0.id == client.id }) { problems.append("clients[\(index)]: id \"\(client.id)\" is listed twice") }
                for hash in client.keyHashes {
                    if let owner = owners[hash], owner != client.id {
                        problems.append("clients[\(index)]: a key hash of \"\(client.id)\" is also one of \"\(owner)\"")
                    }
                    owners[hash] = client.id
                }
                clients.append(client)
            }
        }
        guard problems.isEmpty else { throw ClientsFileError(problems: problems) }
        return ClientSet(clients: clients)
    }

    private static func parseClient(_ value: JSONValue, at path: String, problems: inout [String]) -> APIClient? {
        guard case .object(let fields) = value else {
            problems.append("\(path) must be an object")
            return nil
        }
        let before = problems.count
        for key in fields.keys.sorted() where !["id", "keySha256", "scopes", "limits"].contains(key) {
            problems.append("\(path): unknown field \"\(key.prefix(40))\"")
        }
        var id = ""
        if case .string(let value)? = fields["id"], isValidClientId(value) {
            id = value
        } else {
            problems.append("\(path).id must be 1 to 64 characters from A-Z a-z 0-9 . _ -")
        }
        var hashes: [[UInt8]] = []
        if case .array(let values)? = fields["keySha256"], !values.isEmpty {
            for (index, value) in values.enumerated() {
                guard case .string(let text) = value, let hash = hexBytes(text) else {
                    problems.append("\(path).keySha256[\(index)] must be 64 lowercase hexadecimal characters (a SHA-256)")
                    continue
                }
                if hashes.contains(hash) { problems.append("\(path).keySha256[\(index)] repeats a hash") }
                hashes.append(hash)
            }
        } else {
            problems.append("\(path).keySha256 must be a non-empty array of key hashes")
        }
        var scopes: Set<Scope> = []
        if case .array(let values)? = fields["scopes"], !values.isEmpty {
            for (index, value) in values.enumerated() {
                guard case .string(let text) = value, let scope = Scope(rawValue: text) else {
                    let known = Scope.allCases.map(\.rawValue).joined(separator: ", ")
                    problems.append("\(path).scopes[\(index)] is not a scope (known: \(known))")
                    continue
                }
                scopes.insert(scope)
            }
        } else {
            problems.append("\(path).scopes must be a non-empty array of scopes")
        }
        let limits = parseLimits(fields["limits"], at: "\(path).limits", problems: &problems)
        guard problems.count == before else { return nil }
        return APIClient(id: id, keyHashes: hashes, scopes: scopes, limits: limits)
    }

    /// `{"cards:create": {"ratePerSecond": 50, "burst": 100}, "tome-lookups": {…}}`.
    private static func parseLimits(_ value: JSONValue?, at path: String, problems: inout [String]) -> [Budget: RateLimit] {
        guard let value else { return [:] }
        guard case .object(let entries) = value else {
            problems.append("\(path) must be an object of budgets")
            return [:]
        }
        var limits: [Budget: RateLimit] = [:]
        for (name, entry) in entries.sorted(by: { $0.key < $1.key }) {
            guard let budget = Budget(name: name) else {
                let known = Budget.allCases.map(\.name).joined(separator: ", ")
                problems.append("\(path): \"\(name.prefix(40))\" is not a budget (known: \(known))")
                continue
            }
            guard case .object(let fields) = entry, Set(fields.keys) == ["ratePerSecond", "burst"],
                case .number(let rate)? = fields["ratePerSecond"], rate > 0, rate <= 1_000_000,
                case .number(let burst)? = fields["burst"], burst >= 1, burst <= 1_000_000, burst == burst.rounded()
            else {
                problems.append("\(path).\(name) must be {\"ratePerSecond\": a number above 0, \"burst\": a whole number from 1}")
                continue
            }
            limits[budget] = RateLimit(ratePerSecond: rate, burst: Int(burst))
        }
        return limits
    }

    public static func isValidClientId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64
            && id.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }
    }

    /// Lowercase hex, two digits a byte: how the clients file writes a key's SHA-256.
    public static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// 64 lowercase hex characters as 32 bytes; nil for anything else.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = hexValue(digits[pair]), let low = hexValue(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
