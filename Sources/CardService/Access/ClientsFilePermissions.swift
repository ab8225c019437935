#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who may change the clients file decides who may call the API, so the file must be changeable
/// only by the service's own user or root: refused when another user owns it or when group or
/// others may write it. Checked on the file a path names (a symbolic link is followed, as a
/// mounted secret's is), before each read.
enum ClientsFilePermissions {
    /// The problems with `path`'s owner and mode, each with its fix; empty when it may be trusted.
    static func problems(_ path: String) -> [String] {
        var status = stat()
        guard stat(path, &status) == 0 else { return [] }  // the read that follows names a missing file
        var problems: [String] = []
        let mode = status.st_mode & 0o7777
        if mode & (S_IWGRP | S_IWOTH) != 0 {
            let octal = String(mode, radix: 8)
            problems.append("\(path) is writable by \(mode & S_IWOTH != 0 ? "anyone" : "its group") (mode 0\(octal)): `chmod go-w \(path)`")
        }
        let user = geteuid()
        if status.st_uid != user && status.st_uid != 0 {
            problems.append("\(path) is owned by uid \(status.st_uid), not this service's user (uid \(user)) or root: `chown \(user) \(path)`")
        }
        return problems
    }
}
