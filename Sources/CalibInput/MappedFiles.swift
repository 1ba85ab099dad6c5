import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Regular files mapped read-only into memory (the parts `calib merge`
/// reads), with what a `SIGBUS` inside one of them does.
///
/// Mapping a 94 MB part takes a hundredth of a second where `read(2)` into a
/// fresh buffer takes a tenth (the copy and a page fault every 4 KiB, AMD
/// EPYC, 2026-11-30). But a mapped file that another program truncates
/// while calib reads it raises `SIGBUS` on the next access to a page past
/// its new end, which would end calib with a crash. So every mapping is
/// registered with the message to print: the handler finds the faulting
/// address in a live mapping, runs the cleanup hook (the temporary files of
/// reports being written), writes the message to standard error and exits
/// with status 65 (a damaged input, as a truncated part read by `read(2)`
/// is). A `SIGBUS` anywhere else goes to the handler that was there before
/// (the default one, or the Swift runtime's backtracer).
///
/// As for `TemporaryFiles` (the `calib` target), the handler may only call
/// async-signal-safe functions: the mappings and messages live in memory
/// allocated once, in the fixed slots of a ``SignalSafeSlots``.
public enum MappedFiles {
    /// How many files may be mapped at once; a file read while every slot is
    /// taken is read with `read(2)` instead.
    public static let slots = SignalSafeSlots.capacity
    /// The longest message kept (longer ones are cut), with its final newline.
    static let messageBytes = 4096

    private static let registry = SignalSafeSlots()
    nonisolated(unsafe) private static let starts = UnsafeMutablePointer<UInt>.allocate(capacity: slots)
    nonisolated(unsafe) private static let sizes = UnsafeMutablePointer<Int>.allocate(capacity: slots)
    nonisolated(unsafe) private static let messages = UnsafeMutablePointer<UInt8>.allocate(capacity: slots * messageBytes)
    nonisolated(unsafe) private static let messageLengths = UnsafeMutablePointer<Int>.allocate(capacity: slots)
    /// Whether the handler is installed (once, at the first mapping).
    private static let installed = Atomic<Bool>(false)
    nonisolated(unsafe) private static var previous = sigaction()
    /// Run by the handler before it exits (`calib` removes its temporary files);
    /// must be async-signal-safe. Set once, before any mapping.
    nonisolated(unsafe) public static var cleanup: (@convention(c) () -> Void)?

    /// The exit status after a mapped file shrank under calib (sysexits' EX_DATAERR).
    public static let truncatedStatus: Int32 = 65

    /// A mapping of a file's bytes: `raw` stays readable until `unmap()`.
    public struct Mapping: @unchecked Sendable {
        public let raw: UnsafeRawBufferPointer
        let slot: Int

        /// Unmaps the bytes and forgets the mapping. Its memory must no longer be read.
        public func unmap() {
            MappedFiles.registry.retire(slot)
            munmap(UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count)
            MappedFiles.registry.free(slot)
        }
    }

    /// Maps the first `size` bytes (`size` > 0) of the regular file open on
    /// `fd` read-only, its pages read in at once (`MAP_POPULATE`); a `SIGBUS`
    /// in them prints `message` (a newline is added) and exits 65. Nil when
    /// every slot is taken or the system refuses the mapping (read the file
    /// another way).
    public static func map(_ fd: Int32, size: Int, message: String) -> Mapping? {
        guard size > 0 else { return nil }
        installHandler()
        guard let slot = registry.claim() else { return nil }
        #if os(Linux)
        let flags = MAP_PRIVATE | MAP_POPULATE
        #else
        let flags = MAP_PRIVATE
        #endif
        guard let base = mmap(nil, size, PROT_READ, flags, fd, 0), base != MAP_FAILED else {
            registry.free(slot)
            return nil
        }
        let text = Array(message.utf8.prefix(messageBytes - 1)) + [10]
        let at = messages + slot * messageBytes
        for (i, byte) in text.enumerated() { at[i] = byte }
        messageLengths[slot] = text.count
        starts[slot] = UInt(bitPattern: base)
        sizes[slot] = size
        registry.publish(slot)
        return Mapping(raw: UnsafeRawBufferPointer(start: base, count: size), slot: slot)
    }

    /// Installs the `SIGBUS` handler once, keeping the disposition it replaces.
    /// Touches the slots first, so the handler never runs a one-time initialisation.
    private static func installHandler() {
        guard installed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        _ = (starts, sizes, messages, messageLengths, registry.live())
        var action = sigaction()
        #if os(Linux)
        action.__sigaction_handler.sa_sigaction = onBusError
        #else
        action.__sigaction_u.__sa_sigaction = onBusError
        #endif
        action.sa_flags = SA_SIGINFO
        sigemptyset(&action.sa_mask)
        sigaction(SIGBUS, &action, &previous)
    }

    /// The live mapping holding `address`, if any. Async-signal-safe.
    static func slot(holding address: UInt) -> Int? {
        let mask = registry.live()
        var slot = 0
        while slot < slots {
            if mask & (1 << UInt64(slot)) != 0 && address &- starts[slot] < UInt(sizes[slot]) { return slot }
            slot += 1
        }
        return nil
    }

    /// The handler: a fault in a mapped part ends the run with its message and
    /// status 65; any other goes back to the previous disposition, which the
    /// faulting instruction, run again, then meets.
    private static let onBusError: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { _, info, _ in
        #if os(Linux)
        let address = UInt(bitPattern: info?.pointee._sifields._sigfault.si_addr)
        #else
        let address = UInt(bitPattern: info?.pointee.si_addr)
        #endif
        if let slot = MappedFiles.slot(holding: address) {
            MappedFiles.cleanup?()
            var left = MappedFiles.messageLengths[slot]
            var next = UnsafeRawPointer(MappedFiles.messages + slot * MappedFiles.messageBytes)
            while left > 0 {
                let n = write(2, next, left)
                if n <= 0 { break }
                next += n
                left -= n
            }
            _exit(MappedFiles.truncatedStatus)
        }
        sigaction(SIGBUS, &MappedFiles.previous, nil)
    }
}
