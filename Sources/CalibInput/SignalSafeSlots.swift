import Synchronization

/// Up to 64 fixed slots, claimed and given back from any thread, whose
/// contents a signal handler reads: a slot is claimed before its contents
/// are written, then published (live), and retired before its contents
/// change again, each bit of two atomic masks set or cleared with release
/// ordering. The handler reads ``live()`` (acquiring) and only the slots it
/// names: no allocation, no lock, so async-signal-safe.
///
/// Used by the `calib` target's temporary files (removed on SIGTERM) and by
/// ``MappedFiles`` (a SIGBUS in a mapped part).
public final class SignalSafeSlots: Sendable {
    public static let capacity = 64
    /// Slots taken (set before the slot's contents are written).
    private let claimed = Atomic<UInt64>(0)
    /// Slots whose contents are complete: the ones a handler reads.
    private let published = Atomic<UInt64>(0)

    public init() {}

    /// Takes a free slot; nil when all 64 are taken.
    public func claim() -> Int? {
        var mask = claimed.load(ordering: .relaxed)
        repeat {
            guard mask != .max else { return nil }
            let slot = (~mask).trailingZeroBitCount
            let (exchanged, current) = claimed.compareExchange(expected: mask, desired: mask | (1 << UInt64(slot)), ordering: .acquiringAndReleasing)
            if exchanged { return slot }
            mask = current
        } while true
    }

    /// Marks a claimed slot's contents complete.
    public func publish(_ slot: Int) {
        published.bitwiseOr(1 << UInt64(slot), ordering: .releasing)
    }

    /// Hides a slot from handlers (before its contents go).
    public func retire(_ slot: Int) {
        published.bitwiseAnd(~(1 << UInt64(slot)), ordering: .releasing)
    }

    /// Gives a slot back (retired first, if it was published).
    public func free(_ slot: Int) {
        claimed.bitwiseAnd(~(1 << UInt64(slot)), ordering: .releasing)
    }

    /// The published slots, bit `i` for slot `i`. Async-signal-safe.
    public func live() -> UInt64 {
        published.load(ordering: .acquiring)
    }

    /// Calls `body` with each published slot, in order. Async-signal-safe
    /// when `body` is (the closure is not escaping: nothing is allocated).
    @inline(__always)
    public func forEachLive(_ body: (Int) -> Void) {
        var mask = live()
        while mask != 0 {
            body(mask.trailingZeroBitCount)
            mask &= mask &- 1
        }
    }
}
