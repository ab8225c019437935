import ArgumentParser
import CardService
import Crypto
import ProcessConfiguration

/// `card-app new-key`: a new random key for a client, and the hash that goes into the clients file.
struct NewKeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-key",
        abstract: "Print a new random client key, then its clients-file entry (the key's SHA-256, never the key).",
        discussion: """
            Line 1 is the key: hand it to the client and keep no copy. Line 2 is the client's entry for \
            CARD_APP_CLIENTS_FILE. To rotate an existing client's key, add the new hash to its keySha256 \
            list, move the client to the new key, then remove the old hash; the file is reloaded on change \
            or SIGHUP, with no restart.
            """
    )

    @Option(help: "The client's id (A-Z a-z 0-9 . _ -, up to 64).") var client: String
    @Option(name: .customLong("scope"), help: "A scope for the entry (repeatable): cards:create, cards:read, cards:read-any, tokens:detokenize.")
    var scopes: [String] = []

    func validate() throws {
        guard ClientSet.isValidClientId(client) else { throw ValidationError("--client must be 1 to 64 characters from A-Z a-z 0-9 . _ -") }
        for scope in scopes where Scope(rawValue: scope) == nil {
            throw ValidationError("--scope \(scope) is not one of \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        // 32 random bytes: 256 bits, as a key behind a single unsalted SHA-256 must be.
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = "cak_" + Self.base64URL(bytes)
        let hash = ClientSet.hexString(SHA256.hash(data: Array(key.utf8)))
        let scopeList = Set(scopes.compactMap(Scope.init(rawValue:))).sorted().map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        print(key)
        print(#"{"id": "\#(client)", "keySha256": ["\#(hash)"], "scopes": [\#(scopeList)]}"#)
        if scopes.isEmpty {
            ProcessEnvironment.writeToStandardError("card-app: no --scope given: the entry lists none, and the clients file refuses that until you add them\n")
        }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<(chunk.count + 1) {
                out.append(alphabet[Int((value >> (18 - 6 * UInt32(position))) & 0x3f)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }
}
