import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A report file written atomically: its text goes to a new temporary file
/// beside the target, which is flushed to disk and then renamed over the target,
/// so a reader sees the old file or the whole new one, never half a report.
///
/// The temporary name is `.<name>.calib-tmp-<12 random characters>` in the
/// target's folder, created with `O_CREAT|O_EXCL|O_NOFOLLOW`: an existing file or
/// symbolic link at that name is never opened, written or followed (another
/// random name is tried, up to 100 times). Its mode is 0644 less the umask, as
/// for any new file. Until it is committed or discarded the name is in
/// ``TemporaryFiles``, so SIGTERM, SIGINT or SIGHUP removes it. A target that is
/// itself a symbolic link is replaced by the report (`rename(2)`), not written through.
/// The folder is not flushed after the rename (one `fsync` per report, not two):
/// after a power cut a reader finds the old report or the new one, whole.
final class AtomicFile {
    /// The file the report is for.
    let path: String
    /// The temporary file's name while it exists.
    private(set) var temporaryPath: String?
    private var descriptor: Int32 = -1
    private var slot: Int?

    /// Creates the temporary file for `path`; `suffix` makes the random part of
    /// its name (tests pass their own to plant files at the names it will try).
    init(_ path: String, suffix: () -> String = AtomicFile.randomSuffix) throws {
        self.path = path
        var failure = EEXIST
        for _ in 0..<100 {
            let candidate = AtomicFile.temporaryPath(for: path, suffix: suffix())
            // Registered before it exists: a signal between open and registration would leave it behind.
            guard let slot = TemporaryFiles.register(candidate) else {
                throw OutputError(path: path, reason: "the path is too long, or calib has too many files open for writing")
            }
            let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
            if fd >= 0 {
                descriptor = fd
                temporaryPath = candidate
                self.slot = slot
                return
            }
            failure = errno
            TemporaryFiles.unregister(slot)
            if failure != EEXIST && failure != ELOOP && failure != EINTR { break }
        }
        throw OutputError(path: path, reason: errorText(failure))
    }

    /// `<folder>/.<name>.calib-tmp-<suffix>`, the name cut to 80 bytes so the
    /// temporary name stays within the 255-byte limit of a file name.
    static func temporaryPath(for path: String, suffix: String) -> String {
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        var name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        while name.utf8.count > 80 { name.removeLast() }
        return folder + "." + name + ".calib-tmp-" + suffix
    }

    /// Twelve random lowercase letters and digits (about 62 bits), from the system's generator.
    static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// Writes `text`, flushes it to disk (`fsync`, unless `flush` is false) and
    /// renames the temporary file over the target. On failure the temporary
    /// file is removed and the target is unchanged.
    ///
    /// A part (`--partial-out`) is committed without the flush: its header's
    /// length and its checksum already turn a part cut short by a power cut
    /// into exit 65 when it is read, and the flush cost 0.18 s for a 94 MB
    /// part (AMD EPYC, 2026-11-30), 4% of a default audit of the 10M-row file.
    func commit(_ text: String, flush: Bool = true) throws {
        guard let temporary = temporaryPath else { throw OutputError(path: path, reason: "already written") }
        var failure = writeAll(text, to: descriptor)
        if failure == 0 && flush && fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0 && failure == 0 { failure = errno }
        descriptor = -1
        if failure == 0 && rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            discard()
            throw OutputError(path: path, reason: errorText(failure))
        }
        finish()
    }

    /// Appends bytes to the temporary file, for output written in pieces
    /// (`calib apply` streams); `commit("")` then flushes and renames it.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard temporaryPath != nil, let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { let failure = errno; discard(); throw OutputError(path: path, reason: errorText(failure)) }
            done += n
        }
    }

    /// Removes the temporary file; the target is unchanged. Does nothing once committed.
    func discard() {
        if descriptor >= 0 { close(descriptor); descriptor = -1 }
        if let temporary = temporaryPath { unlink(temporary) }
        finish()
    }

    deinit { discard() }

    private func finish() {
        temporaryPath = nil
        if let slot { TemporaryFiles.unregister(slot) }
        slot = nil
    }
}

/// Writes `text` to `path` atomically (see ``AtomicFile``).
func writeAtomically(_ text: String, to path: String) throws {
    try AtomicFile(path).commit(text)
}

/// Writes all of `text` to a file descriptor, retrying short and interrupted
/// writes. Returns 0, or the `errno` of the write that failed.
func writeAll(_ text: String, to descriptor: Int32) -> Int32 {
    var text = text
    return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
}

/// Writes all of `bytes` to a file descriptor, retrying short and interrupted
/// writes. Returns 0, or the `errno` of the write that failed.
func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Int32 {
    guard var next = bytes.baseAddress else { return 0 }
    var left = bytes.count
    while left > 0 {
        let n = write(descriptor, next, left)
        if n < 0 {
            if errno == EINTR { continue }
            return errno
        }
        next += n
        left -= n
    }
    return 0
}

/// The temporary files being written, removed when SIGTERM, SIGINT or SIGHUP
/// ends the run.
///
/// The signal handler may only call async-signal-safe functions, so the names
/// live in memory allocated once, as C strings in the fixed slots of a
/// ``SignalSafeSlots``: the handler unlinks the live ones, restores the
/// signal's default disposition and raises it again, so the run still ends by
/// that signal.
enum TemporaryFiles {
    /// How many temporary files may exist at once (`-o` is limited to 32).
    static let slots = SignalSafeSlots.capacity
    /// The longest name, with its terminating NUL (the kernel's PATH_MAX).
    static let pathBytes = 4096
    nonisolated(unsafe) private static let names = UnsafeMutablePointer<CChar>.allocate(capacity: slots * pathBytes)
    private static let registry = SignalSafeSlots()

    /// Records `path`; nil when it is too long or every slot is taken.
    /// Safe from any thread: a slot is claimed atomically before it is written.
    static func register(_ path: String) -> Int? {
        let bytes = Array(path.utf8)
        guard bytes.count < pathBytes, !bytes.contains(0), let slot = registry.claim() else { return nil }
        let start = names + slot * pathBytes
        for (i, byte) in bytes.enumerated() { start[i] = CChar(bitPattern: byte) }
        start[bytes.count] = 0
        registry.publish(slot)
        return slot
    }

    static func unregister(_ slot: Int) {
        registry.retire(slot)
        registry.free(slot)
    }

    /// The live names (for tests and diagnostics).
    static var registered: [String] {
        var names: [String] = []
        registry.forEachLive { names.append(String(cString: Self.names + $0 * pathBytes)) }
        return names
    }

    /// Unlinks every live temporary file. Async-signal-safe: no allocation, no locks.
    static func removeAll() {
        registry.forEachLive { unlink(names + $0 * pathBytes) }
    }

    /// Installs the handler for SIGTERM, SIGINT and SIGHUP, except for a signal
    /// the run was started with ignored (`nohup`, background jobs), which stays ignored.
    /// Touches the registry first, so the handler never runs its one-time initialisation.
    static func installSignalHandlers() {
        _ = (slots, pathBytes, registry.live(), names)
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            let previous = signal(signalNumber, removeTemporaryFilesAndRaise)
            if isIgnored(previous) { signal(signalNumber, SIG_IGN) }
        }
    }

    /// Whether a disposition `signal(2)` returned is SIG_IGN (C function pointers are not Equatable).
    private static func isIgnored<Handler>(_ handler: Handler) -> Bool {
        unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }
}

/// The signal handler: removes the temporary files, then ends the process by the same signal.
private func removeTemporaryFilesAndRaise(_ signalNumber: Int32) {
    TemporaryFiles.removeAll()
    signal(signalNumber, SIG_DFL)
    raise(signalNumber)
}
