/// The replicates' weights in the bootstrap's score grid (`BootstrapReplicates`):
/// for each *slot* (a cell and a label of one score column) the `R`
/// replicates' weights `Σ m_ir · w_i` of its rows, kept as one run of `R`
/// doubles, for the slots rows have reached only.
///
/// **Why sparse.** A grid has `2 × columns × cells` slots (binary: 4,996;
/// ten classes: 13,728), but a block of rows reaches few of them (about 900
/// for the binary benchmark's scores): held densely, each block's part of an
/// audit in flight kept 8 MB (binary) to 22 MB (ten classes) at R = 200.
/// A slot without a run weighs 0 in every replicate.
///
/// **Exactness.** A run starts at +0 and its lanes take the same additions,
/// in the same order, as the dense layout's did (`0 + x` for a slot first
/// reached), so every weight is the same double; merging skips the slots the
/// other part never reached, where the dense layout added +0.
struct ReplicateCells: Sendable {
    let replicates: Int
    let slotCount: Int
    /// Slot `s`'s run, or −1; empty before the first rows (or for a dense grid of another size, see `dense`).
    private(set) var runOf: [Int32] = []
    /// The runs in the order their slots were first reached, `R` lanes each.
    private(set) var weights: [Double] = []

    init(replicates: Int, slots: Int) {
        self.replicates = replicates
        slotCount = slots
    }

    /// Whether no rows were added (an empty part of a merge keeps no grid).
    var isEmpty: Bool { runOf.isEmpty && weights.isEmpty }

    /// Slots with a run.
    var runCount: Int { weights.count / Swift.max(1, replicates) }

    /// Makes the slot table (at the first rows).
    mutating func allocate() {
        guard runOf.isEmpty else { return }
        runOf = Array(repeating: -1, count: slotCount)
    }

    /// Adds `source[0 ..< R]` to slot `slot`'s run lane by lane, starting the run (at +0) when new.
    mutating func add(_ source: UnsafePointer<Double>, to slot: Int) {
        let run = reserveRun(slot)
        let r = replicates
        weights.withUnsafeMutableBufferPointer { w in
            let target = w.baseAddress! + run &* r
            for l in 0..<r { target[l] += source[l] }
        }
    }

    /// Slot `slot`'s run, started (all `R` lanes at +0) when new.
    @discardableResult
    mutating func reserveRun(_ slot: Int) -> Int {
        var run = Int(runOf[slot])
        if run < 0 {
            run = runCount
            runOf[slot] = Int32(truncatingIfNeeded: run)
            weights.append(contentsOf: repeatElement(0, count: replicates))
        }
        return run
    }

    /// Runs `body` on the slot table and the runs' lanes (slot `s`'s run at
    /// `runs[runOf[s] · R]`), to add to runs already started (`reserveRun(_:)`)
    /// without a uniqueness check per add.
    mutating func withRuns<T>(_ body: (_ runOf: UnsafePointer<Int32>, _ runs: UnsafeMutablePointer<Double>) -> T) -> T {
        runOf.withUnsafeBufferPointer { slots in
            weights.withUnsafeMutableBufferPointer { w in body(slots.baseAddress!, w.baseAddress!) }
        }
    }

    /// Replicate `replicate`'s weight in slot `slot` (0 where no row landed).
    @inline(__always)
    func weight(slot: Int, replicate: Int) -> Double {
        guard !runOf.isEmpty else { return 0 }
        let run = Int(runOf[slot])
        return run < 0 ? 0 : weights[run &* replicates &+ replicate]
    }

    /// Adds another part's weights, slot by slot.
    mutating func merge(_ other: ReplicateCells) {
        precondition(other.replicates == replicates && other.slotCount == slotCount, "merging grids of different sizes")
        guard !other.isEmpty else { return }
        guard !isEmpty else { self = other; return }
        other.weights.withUnsafeBufferPointer { source in
            for slot in 0..<slotCount where other.runOf[slot] >= 0 {
                add(source.baseAddress! + Int(other.runOf[slot]) &* replicates, to: slot)
            }
        }
    }

    /// The grid as one dense array, `[slot · R + r]` (empty before the first
    /// rows): the layout these runs replace, for comparisons.
    var dense: [Double] {
        guard !runOf.isEmpty else { return weights }
        var out = [Double](repeating: 0, count: slotCount * replicates)
        for slot in 0..<slotCount where runOf[slot] >= 0 {
            let run = Int(runOf[slot])
            for l in 0..<replicates { out[slot * replicates + l] = weights[run * replicates + l] }
        }
        return out
    }

    /// The partial-state form: whether the slot table exists, the reached
    /// slots in the order of their runs, and the runs' lanes — what the rows
    /// reached only (about 1.5 MB for the binary benchmark's scores at R = 200,
    /// against 8 MB for the dense grid), read back run for run by ``init(readingPartial:replicates:slots:)``.
    func writePartial(_ w: inout PartialWriter) {
        var slots = [Int](repeating: 0, count: runCount)
        for slot in runOf.indices where runOf[slot] >= 0 { slots[Int(runOf[slot])] = slot }
        w.bool(!runOf.isEmpty)
        w.ints(slots)
        w.doubles(weights)
    }

    /// The cells ``writePartial(_:)`` wrote; slots out of range or repeated,
    /// runs without a slot table, or lanes that do not fill the runs are malformed.
    init(readingPartial r: inout PartialReader, replicates: Int, slots: Int) throws(PartialStateFormat.Problem) {
        guard r.version >= 3 else {
            try self.init(readingDense: &r, replicates: replicates, slots: slots)
            return
        }
        self.init(replicates: replicates, slots: slots)
        let allocated = try r.bool()
        let reached = try r.ints()
        let lanes = try r.doubles()
        guard allocated || reached.isEmpty, lanes.count == reached.count * replicates else { throw .malformed("bootstrap grid runs that do not fit") }
        guard allocated else { return }
        allocate()
        for (run, slot) in reached.enumerated() {
            guard slot >= 0 && slot < slots && runOf[slot] < 0 else { throw .malformed("bootstrap grid slot \(slot)") }
            runOf[slot] = Int32(truncatingIfNeeded: run)
        }
        weights = lanes
    }

    /// The dense grid of format versions 1 and 2, `[slot · R + r]` (empty
    /// before the first rows): a slot whose lanes are not all +0 gets a run, in
    /// slot order, so every weight reads back as the same double.
    private init(readingDense r: inout PartialReader, replicates: Int, slots: Int) throws(PartialStateFormat.Problem) {
        self.init(replicates: replicates, slots: slots)
        let dense = try r.doubles()
        guard !dense.isEmpty else { return }
        guard dense.count == slots * replicates else { throw .malformed("bootstrap grids of another size") }
        allocate()
        for slot in 0..<slots {
            let lanes = dense[(slot * replicates)..<((slot + 1) * replicates)]
            guard lanes.contains(where: { $0.bitPattern != 0 }) else { continue }
            runOf[slot] = Int32(truncatingIfNeeded: runCount)
            weights.append(contentsOf: lanes)
        }
    }

    /// Bytes held (element strides).
    var bytes: Int { 8 * weights.count + 4 * runOf.count }
}
