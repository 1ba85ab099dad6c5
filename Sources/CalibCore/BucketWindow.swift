/// A run of consecutive grid buckets of one column, copied out of the
/// store's pieces piece by piece, so that a walk that sorts its buckets one
/// at a time reads each piece as one forward stream instead of a few keys of
/// every piece for every bucket (≈ 150 pieces for 10M rows: as many streams
/// as the core's prefetchers cannot follow, and half of the gather's time
/// spent waiting on loads).
///
/// Bucket b's keys are in merge order, the order `ScoreStore.gather` gives
/// them, at `keys(of: b)`. Unit weights only (the walks that gather weights
/// keep the pieces' order of equal keys, and read the pieces themselves).
struct BucketWindow {
    /// The most keys a window holds: one bucket of the in-cache sort at most.
    static let capacity = RadixSort.inPlaceAbove

    /// The most keys this window holds (its storage): the room asked for, at most `capacity`.
    let room: Int
    private let storage: UnsafeMutablePointer<UInt64>
    /// `offsets[b]` is bucket b's first key for `lower ≤ b ≤ upper` (`upper` the end).
    private let offsets: UnsafeMutablePointer<Int>
    /// The window's non-empty buckets, as it loads them.
    private let filled: UnsafeMutablePointer<Int>
    private(set) var lower = 0, upper = 0

    /// Runs `body` with a window of room for `keys` keys (at most `capacity`).
    static func with<Result>(keys: Int, _ body: (inout BucketWindow) -> Result) -> Result {
        let buckets = ExactScores.grid.bucketCount
        let room = Swift.max(0, Swift.min(keys, capacity))
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: Swift.max(1, room)) { storage in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * buckets + 1) { offsets in
                var window = BucketWindow(room: room, storage: storage.baseAddress!, offsets: offsets.baseAddress!,
                                          filled: offsets.baseAddress! + buckets + 1)
                return body(&window)
            }
        }
    }

    private init(room: Int, storage: UnsafeMutablePointer<UInt64>, offsets: UnsafeMutablePointer<Int>, filled: UnsafeMutablePointer<Int>) {
        self.room = room
        self.storage = storage
        self.offsets = offsets
        self.filled = filled
    }

    /// Whether bucket b's keys are held.
    @inline(__always)
    func holds(_ b: Int) -> Bool { b >= lower && b < upper }

    /// Bucket b's keys (`sizes[b]` of them); b must be held.
    @inline(__always)
    func keys(of b: Int) -> UnsafePointer<UInt64> { UnsafePointer(storage + offsets[b]) }

    /// Whether a bucket of `size` keys (not none) fits this window.
    func fits(_ size: Int) -> Bool { size > 0 && size <= room }

    /// Bucket b's `count` keys sorted ascending into `keys` (`ScoreStore.sortedBucket`), the window
    /// loaded toward `end` first unless it holds b; b must fit.
    mutating func sorted(bucket b: Int, count: Int, toward end: Int, sizes: [Int], _ views: [PieceView],
                         keys: UnsafeMutablePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>) -> Int {
        if !holds(b) { load(b, toward: end, sizes: sizes, views) }
        return ScoreStore.sortedBucket(from: self.keys(of: b), count: count, bucket: b, keys: keys, scratch: scratch)
    }

    /// Loads bucket b and the buckets next to it toward `end` (inclusive:
    /// below b for a walk down, above it for a walk up) while they fit
    /// `room` keys together (`sizes` each bucket's keys; b must fit alone).
    /// Each piece is read once, from its first key of the run to its last.
    mutating func load(_ b: Int, toward end: Int, sizes: [Int], _ views: [PieceView]) {
        let limit = room
        precondition(sizes[b] <= limit, "a bucket larger than the window")
        var low = b, high = b + 1, total = sizes[b]
        if end < b {
            while low > end && total + sizes[low - 1] <= limit { low -= 1; total += sizes[low] }
        } else {
            while high <= end && total + sizes[high] <= limit { total += sizes[high]; high += 1 }
        }
        lower = low; upper = high
        // Where each bucket starts; `next` (the `filled` list's partner) where its next key goes.
        var at = 0, nonEmpty = 0
        for bucket in low..<high {
            offsets[bucket] = at
            if sizes[bucket] > 0 { filled[nonEmpty] = bucket; nonEmpty &+= 1 }
            at &+= sizes[bucket]
        }
        offsets[high] = at
        withUnsafeTemporaryAllocation(of: Int.self, capacity: Swift.max(1, nonEmpty)) { next in
            for j in 0..<nonEmpty { next[j] = offsets[filled[j]] }
            let out = storage
            for piece in views where piece.starts[low] < piece.starts[high] {
                for j in 0..<nonEmpty {
                    let bucket = filled[j]
                    let first = Int(piece.starts[bucket]), last = Int(piece.starts[bucket &+ 1])
                    var to = next[j]
                    for i in first..<last {
                        out[to] = piece.keys[i]
                        to &+= 1
                    }
                    next[j] = to
                }
            }
            for j in 0..<nonEmpty {
                precondition(next[j] - offsets[filled[j]] == sizes[filled[j]], "a bucket's size and its keys disagree")
            }
        }
    }
}
