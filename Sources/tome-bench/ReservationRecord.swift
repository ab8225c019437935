import TOMEClient

#if canImport(Glibc)
import Glibc
#endif

/// A file of committed reservations, one `card id<TAB>NS1<TAB>NS2` line each, so a fault
/// suite can check what a reserver saw against the database, even after a `kill -9`.
/// Each line is one `write` to a file opened with `O_APPEND`, so concurrent reservers'
/// lines never interleave and every line written before a kill is complete.
struct ReservationRecord: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw RecordError(path: path, code: errno) }
    }

    func append(cardId: String, pair: TokenPair) {
        var line = "\(cardId)\t\(pair.ns1Token)\t\(pair.ns2Token)\n"
        line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
    }
}

struct RecordError: Error, CustomStringConvertible {
    let path: String
    let code: Int32
    var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
}
