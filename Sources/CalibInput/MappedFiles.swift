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
/// is). Any other `SIGBUS` (a fault elsewhere, or one sent by `kill`) goes
/// to the disposition that was there before (the default one, or the Swift
/// runtime's backtracer).
///
/// Another program writing into a mapped part in place (not truncating it)
/// changes what calib reads after the part's checksum was checked: every
/// value is copied out of the mapping before it is validated, so this cannot
/// crash calib, but it is not detected either. calib itself never rewrites a
/// part in place (it writes a new file and renames it over the old one,
/// whose mapping keeps the old contents).
///
/// As for `TemporaryFiles` (the `calib` target), the handler may only call
/// async-signal-safe functions: the mappings, messages, previous disposition
/// and cleanup hook live in memory allocated once (no Swift globals read by
/// the handler need initialising or exclusivity checks), in the fixed slots
/// of a ``SignalSafeSlots``.
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
    /// The disposition the handler replaced, and the cleanup hook (none until set).
    nonisolated(unsafe) private static let previous: UnsafeMutablePointer<sigaction> = {
        let slot = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
        slot.initialize(to: sigaction())
        return slot
    }()
    nonisolated(unsafe) private static let cleanupHook: UnsafeMutablePointer<(@convention(c) () -> Void)?> = {
        let slot = UnsafeMutablePointer<(@convention(c) () -> Void)?>.allocate(capacity: 1)
        slot.initialize(to: nil)
        return slot
    }()
    /// 0: no handler; 1: being installed; 2: installed.
    private static let installation = Atomic<Int>(0)

    /// The exit status after a mapped file shrank under calib (sysexits' EX_DATAERR).
    public static let truncatedStatus: Int32 = 65

    /// Sets what the handler runs before it exits (`calib` removes its
    /// temporary files); it must be async-signal-safe. Call once, before any mapping.
    public static func setCleanup(_ cleanup: @escaping @convention(c) () -> Void) {
        cleanupHook.pointee = cleanup
    }

    /// A mapping of a file's bytes: `raw` stays readable until ``unmap()``.
    public final class Mapping: @unchecked Sendable {
        public let raw: UnsafeRawBufferPointer
        let slot: Int
        private let mapped = Atomic<Bool>(true)

        init(raw: UnsafeRawBufferPointer, slot: Int) {
            self.raw = raw
            self.slot = slot
        }

        /// Unmaps the bytes and gives the slot back (once; later calls do
        /// nothing). Its memory must no longer be read.
        public func unmap() {
            guard mapped.exchange(false, ordering: .acquiringAndReleasing) else { return }
            MappedFiles.registry.retire(slot)
            munmap(UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count)
            MappedFiles.registry.free(slot)
        }
    }

    /// The largest file mapped with its pages read in at once: a quarter of
    /// the machine's memory. A larger one (a sparse file posing as a part,
    /// say) is read with `read(2)` into an allocation of its size, which
    /// fails at once when it cannot fit, as before mapping existed.
    public static var largestMapping: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 30 }
        return pages / 4 > Int.max / pageSize ? Int.max : pages / 4 * pageSize
    }

    /// Maps the first `size` bytes (0 < `size` ≤ ``largestMapping``) of the
    /// regular file open on `fd` read-only, its pages read in at once
    /// (`MAP_POPULATE` on Linux); a `SIGBUS` in them prints `message` (a
    /// newline is added) and exits 65. Nil when the size is out of range,
    /// every slot is taken or the system refuses the mapping (read the file
    /// another way).
    public static func map(_ fd: Int32, size: Int, message: String) -> Mapping? {
        guard size > 0, size <= largestMapping else { return nil }
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

    /// Installs the `SIGBUS` handler once, keeping the disposition it
    /// replaces; a thread that finds it being installed waits until it is.
    /// Touches every global the handler reads first, so the handler never
    /// runs a one-time initialisation.
    private static func installHandler() {
        guard installation.load(ordering: .acquiring) != 2 else { return }
        guard installation.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else {
            while installation.load(ordering: .acquiring) != 2 { sched_yield() }
            return
        }
        _ = (slots, messageBytes, starts, sizes, messages, messageLengths, previous, cleanupHook, registry.live())
        var action = sigaction()
        #if canImport(Glibc)
        action.__sigaction_handler.sa_sigaction = onBusError
        #elseif canImport(Musl)
        action.__sa_handler.sa_sigaction = onBusError
        #else
        action.__sigaction_u.__sa_sigaction = onBusError
        #endif
        action.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        sigaction(SIGBUS, &action, previous)
        installation.store(2, ordering: .releasing)
    }

    /// The live mapping holding `address`, if any. Async-signal-safe.
    static func slot(holding address: UInt) -> Int? {
        var holding: Int?
        registry.forEachLive { slot in
            if address &- starts[slot] < UInt(sizes[slot]) { holding = slot }
        }
        return holding
    }

    /// The handler: a fault in a mapped part ends the run with its message
    /// and status 65; any other `SIGBUS` goes back to the previous
    /// disposition: a fault meets it when the faulting instruction runs
    /// again, a signal sent by a process (`si_code` ≤ 0, its address
    /// meaningless) is raised again.
    private static let onBusError: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { _, info, _ in
        guard let info else { return }
        #if canImport(Glibc)
        let address = UInt(bitPattern: info.pointee._sifields._sigfault.si_addr)
        #elseif canImport(Musl)
        let address = UInt(bitPattern: info.pointee.__si_fields.__sigfault.si_addr)
        #else
        let address = UInt(bitPattern: info.pointee.si_addr)
        #endif
        let fault = info.pointee.si_code > 0
        if fault, let slot = MappedFiles.slot(holding: address) {
            MappedFiles.cleanupHook.pointee?()
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
        sigaction(SIGBUS, MappedFiles.previous, nil)
        if !fault { raise(SIGBUS) }
    }
}
