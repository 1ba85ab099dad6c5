#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file the user names — a configuration file, a calibrator
/// file, a part for `calib merge` — whole, with the errors both need: a missing or unreadable file, or
/// a folder, is exit 66; one past `limit` bytes is `tooLarge` (read no further).
enum SmallFile {
    /// Why the file could not be read: a sentence and the run's exit status.
    struct Failure: Error {
        let reason: String
        let status: ExitStatus
    }

    /// The bytes of `path`; `what` names the file in messages ("the calibrator file").
    static func read(_ path: String, what: String, limit: Int, tooLarge: Failure) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(reason: "cannot read \(what): \(errorText(errno))", status: .noInput) }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
            throw Failure(reason: "cannot read \(what): it is a directory", status: .noInput)
        }
        var bytes: [UInt8] = []
        // A regular file's size is known: no growth (each copies the bytes read so far; parts run to hundreds of MB).
        if (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 { bytes.reserveCapacity(Swift.min(Int(info.st_size), limit) + 1) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(reason: "cannot read \(what): \(errorText(errno))", status: .noInput)
            }
            if n == 0 { return bytes }
            bytes += chunk[..<n]
            if bytes.count > limit { throw tooLarge }
        }
    }
}

/// `read(2)`, which `SmallFile.read` hides.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}
