/// An ascending sort of 64-bit keys, optionally carrying one `Double` per key
/// (a row's weight, or a row's index), for the score store and the isotonic
/// and histogram fits' sorted rows.
///
/// Most-significant-digit radix sort: each level looks only at the bits the
/// keys of its range still differ in (found with one OR of XORs), scatters the
/// range by the top 13 of them into a scratch buffer, and recurses into each
/// bucket with the buffers' roles swapped, so that after the first level or
/// two every bucket fits in cache. Ranges of at most 48 keys finish with an
/// insertion sort, and a range uses about `log₂(n) − 3` bits a level, so that
/// small ranges do not pay for 8,192 empty buckets (13 bits sort one
/// 40,000-key bucket of the store's grid in one pass and small insertion
/// sorts, about 15% faster than 11). Time O(N · levels) with levels ≈
/// ⌈distinct bits / 13⌉ at
/// worst, in practice 2–3 passes over memory for 10⁷ distinct scores. Ranges
/// longer than `inPlaceAbove` keys are first partitioned in place, so the
/// extra memory is one buffer of at most `inPlaceAbove` keys (and one of
/// weights), whatever the input's length. Equal keys keep
/// no particular order, which is harmless here: a key is a score and a label,
/// and rows with equal keys differ at most in weight, whose sum over a tie is
/// the only thing the ranking reads (and which the walk sums in key order).
///
/// The keys of non-negative doubles are their bit patterns, which order as
/// the doubles do.
enum RadixSort {
    /// Ranges longer than this are partitioned in place (American flag
    /// sort), so that the scratch buffers never exceed this many keys.
    static let inPlaceAbove = 1 << 16

    /// Sorts `n` keys in place with `scratch` (at least `min(n, inPlaceAbove)`
    /// keys) and, with a payload, `payloadScratch` (as long).
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>,
                     payload: UnsafeMutablePointer<Double>?, payloadScratch: UnsafeMutablePointer<Double>?, count n: Int) {
        guard n > 1 else { return }
        sortInPlace(keys, payload, n, scratch: scratch, payloadScratch)
    }

    /// `sort` with its own scratch, the buckets of the first in-place
    /// partition sorted as tasks of `runner` (contiguous runs of buckets of
    /// about equal size, each task with scratch of its own): the same keys
    /// in the same order as `sort`, a payload of equal keys in some order.
    static func sort(_ keys: UnsafeMutablePointer<UInt64>, payload: UnsafeMutablePointer<Double>?, count n: Int, runner: RankingRunner?) {
        guard n > 1 else { return }
        guard let runner, n > inPlaceAbove else {
            let scratchCount = Swift.min(n, inPlaceAbove)
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: scratchCount)
            let payloadScratch = payload == nil ? nil : UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
            defer { scratch.deallocate(); payloadScratch?.deallocate() }
            sortInPlace(keys, payload, n, scratch: scratch, payloadScratch)
            return
        }
        guard let bounds = partition(keys, payload, n) else { return }
        // Cut the buckets into tasks of about n / 64 keys (a bucket is never split).
        var cuts = [0]
        let target = Swift.max(1, n / 64)
        for d in 1..<(bounds.count - 1) where bounds[d] - bounds[cuts.last!] >= target { cuts.append(d) }
        cuts.append(bounds.count - 1)
        let sharedKeys = SendablePointer(keys), sharedPayload = payload.map { SendablePointer($0) }
        let taskCuts = cuts
        runner(taskCuts.count - 1) { task in
            let first = taskCuts[task], last = taskCuts[task + 1]
            var largest = 0
            for d in first..<last { largest = Swift.max(largest, bounds[d + 1] - bounds[d]) }
            guard largest > 1 else { return }
            let scratchCount = Swift.min(largest, inPlaceAbove)
            let scratch = UnsafeMutablePointer<UInt64>.allocate(capacity: scratchCount)
            let payloadScratch = sharedPayload == nil ? nil : UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
            defer { scratch.deallocate(); payloadScratch?.deallocate() }
            for d in first..<last where bounds[d + 1] - bounds[d] > 1 {
                let lower = bounds[d]
                sortInPlace(sharedKeys.pointer + lower, sharedPayload.map { $0.pointer + lower }, bounds[d + 1] - lower,
                            scratch: scratch, payloadScratch)
            }
        }
    }

    /// The first level of `sortInPlace` on its own: the keys partitioned in
    /// place by their top differing bits, and the buckets' bounds
    /// (`bounds[d]..<bounds[d + 1]`) still to sort; `nil` when the keys are
    /// sorted already (all equal, or the digit covered every differing bit).
    private static func partition(_ keys: UnsafeMutablePointer<UInt64>, _ payload: UnsafeMutablePointer<Double>?, _ n: Int) -> [Int]? {
        let first = keys[0]
        var differing: UInt64 = 0
        for i in 1..<n { differing |= keys[i] ^ first }
        if differing == 0 { return nil }
        let highest = 63 - differing.leadingZeroBitCount
        let radix = 1 << maximumDigitBits
        let digitMask = UInt64(radix - 1)
        let shift = UInt64(Swift.max(0, highest - (maximumDigitBits - 1)))
        var bounds = [Int](repeating: 0, count: radix + 1)
        bounds.withUnsafeMutableBufferPointer { offsets in
            let start = offsets.baseAddress!
            for i in 0..<n { start[Int(truncatingIfNeeded: (keys[i] >> shift) & digitMask) + 1] &+= 1 }
            for d in 0..<radix { start[d + 1] &+= start[d] }
            scatterInPlace(keys, payload, start: start, radix: radix, shift: shift, digitMask: digitMask)
        }
        return shift > 0 ? bounds : nil
    }

    /// Swaps each key straight into its bucket's next free slot, cycle by
    /// cycle (American flag sort), buckets starting at `start[d]`.
    private static func scatterInPlace(_ keys: UnsafeMutablePointer<UInt64>, _ payload: UnsafeMutablePointer<Double>?,
                                       start: UnsafeMutablePointer<Int>, radix: Int, shift: UInt64, digitMask: UInt64) {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: radix) { cursor in
            let next = cursor.baseAddress!
            next.initialize(from: start, count: radix)
            for d in 0..<radix {
                let end = start[d + 1]
                while next[d] < end {
                    let i = next[d]
                    var key = keys[i]
                    var value = payload?[i] ?? 0
                    var digit = Int(truncatingIfNeeded: (key >> shift) & digitMask)
                    while digit != d {
                        let j = next[digit]
                        next[digit] = j &+ 1
                        swap(&key, &keys[j])
                        if let payload { swap(&value, &payload[j]) }
                        digit = Int(truncatingIfNeeded: (key >> shift) & digitMask)
                    }
                    keys[i] = key
                    payload?[i] = value
                    next[d] = i &+ 1
                }
            }
        }
    }

    /// Sorts `n` keys in place: a range of at most `inPlaceAbove` keys with
    /// the out-of-place sort and the scratch buffers; a longer one by one
    /// in-place partition on its top differing bits (each key swapped
    /// straight into its bucket's next free slot, cycle by cycle), then
    /// each bucket alike.
    private static func sortInPlace(_ keys: UnsafeMutablePointer<UInt64>, _ payload: UnsafeMutablePointer<Double>?, _ n: Int,
                                    scratch: UnsafeMutablePointer<UInt64>, _ payloadScratch: UnsafeMutablePointer<Double>?) {
        if n <= inPlaceAbove {
            sortRange(keys, scratch, payload, payloadScratch, n, resultInSource: true)
            return
        }
        let first = keys[0]
        var differing: UInt64 = 0
        for i in 1..<n { differing |= keys[i] ^ first }
        if differing == 0 { return }
        let highest = 63 - differing.leadingZeroBitCount
        let radix = 1 << maximumDigitBits
        let digitMask = UInt64(radix - 1)
        let shift = UInt64(Swift.max(0, highest - (maximumDigitBits - 1)))
        withUnsafeTemporaryAllocation(of: Int.self, capacity: radix + 1) { offsets in
            let start = offsets.baseAddress!
            start.initialize(repeating: 0, count: radix + 1)
            for i in 0..<n { start[Int(truncatingIfNeeded: (keys[i] >> shift) & digitMask) + 1] &+= 1 }
            for d in 0..<radix { start[d + 1] &+= start[d] }
            scatterInPlace(keys, payload, start: start, radix: radix, shift: shift, digitMask: digitMask)
            // The digit covered every bit the keys differ in below `highest`: each bucket holds equal keys.
            guard shift > 0 else { return }
            for d in 0..<radix {
                let lower = start[d], count = start[d + 1] - lower
                if count > 1 {
                    sortInPlace(keys + lower, payload.map { $0 + lower }, count, scratch: scratch, payloadScratch)
                }
            }
        }
    }

    /// Sorts `n` keys held in `source`, using `target` (as long) as scratch;
    /// the sorted keys end in `source` when `resultInSource`, else in `target`.
    private static func sortRange(_ source: UnsafeMutablePointer<UInt64>, _ target: UnsafeMutablePointer<UInt64>,
                                  _ payloadSource: UnsafeMutablePointer<Double>?, _ payloadTarget: UnsafeMutablePointer<Double>?,
                                  _ n: Int, resultInSource: Bool) {
        if n <= 48 {
            insertionSort(source, payloadSource, n)
            if !resultInSource { copy(source, target, payloadSource, payloadTarget, n) }
            return
        }
        let first = source[0]
        var differing: UInt64 = 0
        for i in 1..<n { differing |= source[i] ^ first }
        if differing == 0 {
            if !resultInSource { copy(source, target, payloadSource, payloadTarget, n) }
            return
        }
        let highest = 63 - differing.leadingZeroBitCount
        // About 8 keys a bucket, at most 13 bits: small ranges must not pay for 8,192 empty buckets.
        let digitBits = Swift.min(maximumDigitBits, Swift.max(3, (Int.bitWidth - n.leadingZeroBitCount) - 3))
        let radix = 1 << digitBits
        let digitMask = UInt64(radix - 1)
        let shift = Swift.max(0, highest - (digitBits - 1))
        withUnsafeTemporaryAllocation(of: Int.self, capacity: radix + 1) { offsets in
            let start = offsets.baseAddress!
            start.initialize(repeating: 0, count: radix + 1)
            for i in 0..<n { start[Int(truncatingIfNeeded: (source[i] >> UInt64(shift)) & digitMask) + 1] &+= 1 }
            for d in 0..<radix { start[d + 1] &+= start[d] }
            // `start[d]` is bucket d's start; scatter with a running copy, then read the bounds back.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: radix) { cursor in
                let next = cursor.baseAddress!
                next.initialize(from: start, count: radix)
                if let payloadSource, let payloadTarget {
                    for i in 0..<n {
                        let key = source[i]
                        let d = Int(truncatingIfNeeded: (key >> UInt64(shift)) & digitMask)
                        let j = next[d]
                        target[j] = key
                        payloadTarget[j] = payloadSource[i]
                        next[d] = j &+ 1
                    }
                } else {
                    for i in 0..<n {
                        let key = source[i]
                        let d = Int(truncatingIfNeeded: (key >> UInt64(shift)) & digitMask)
                        let j = next[d]
                        target[j] = key
                        next[d] = j &+ 1
                    }
                }
            }
            // The digit covered every bit the keys differ in below `highest`: each bucket holds equal keys.
            let finished = shift == 0
            for d in 0..<radix {
                let lower = start[d], count = start[d + 1] - lower
                guard count > 0 else { continue }
                if finished || count == 1 {
                    if resultInSource { copy(target + lower, source + lower, payloadTarget.map { $0 + lower }, payloadSource.map { $0 + lower }, count) }
                } else {
                    sortRange(target + lower, source + lower, payloadTarget.map { $0 + lower }, payloadSource.map { $0 + lower },
                              count, resultInSource: !resultInSource)
                }
            }
        }
    }

    private static let maximumDigitBits = 13

    @inline(__always)
    private static func copy(_ from: UnsafeMutablePointer<UInt64>, _ to: UnsafeMutablePointer<UInt64>,
                             _ payloadFrom: UnsafeMutablePointer<Double>?, _ payloadTo: UnsafeMutablePointer<Double>?, _ n: Int) {
        to.update(from: from, count: n)
        if let payloadFrom, let payloadTo { payloadTo.update(from: payloadFrom, count: n) }
    }

    /// Sorts `n` keys (and their payload) by insertion: for short ranges, or nearly sorted ones.
    static func insertionSort(_ keys: UnsafeMutablePointer<UInt64>, _ payload: UnsafeMutablePointer<Double>?, _ n: Int) {
        guard n > 1 else { return }
        for i in 1..<n {
            let key = keys[i]
            let value = payload?[i]
            var j = i
            while j > 0 && keys[j - 1] > key {
                keys[j] = keys[j - 1]
                payload?[j] = payload![j - 1]
                j -= 1
            }
            keys[j] = key
            if let value { payload![j] = value }
        }
    }
}
