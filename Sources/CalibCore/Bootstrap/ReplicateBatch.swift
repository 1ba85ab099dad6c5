import CalibKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A batch of rows on their way into the bootstrap's replicates: what the
/// audit's row loop leaves for `BootstrapReplicates` (each row's key, its
/// terms, logged by the families' own formulas in a `TermLog`, and its grid
/// cells), added to every replicate at once by
/// `flush(sums:counts:cells:thresholds:)`.
///
/// **Why batches.** Replicate `r` adds `m_ir · x_is` for every row `i` and
/// every slot `s` of the row's terms; done row by row that is `R` loads and
/// stores per slot, about 27 slots a binary row. Most of those terms are the
/// same few numbers (the weight `w` lands in the total, the class total, the
/// confusion cell and two bins; `w·p` in the score and a bin), so a row is
/// reduced to its *distinct* values, `d` of them (7 for a binary row), and a
/// *pattern* that says which value each slot takes. Rows of one pattern are
/// summed together, `d` values a replicate, and the sums go to the pattern's
/// slots once per batch: about `d/27` of the arithmetic. Values are compared
/// by their bits, so the pattern is exact: two rows share one only when each
/// slot of one holds the value the same slot of the other does, by position.
/// A term equal to 1 (a row count, an unweighted row's weight and squared
/// weight: 3 of the 7) needs no multiply at all: its replicate sums are the
/// counts' own, `Σ m`, `Σ m²` or `Σ 1[m > 0]`, added as integers.
///
/// **Units.** The slots are split in units (`BootstrapReplicates.units`),
/// each with patterns of its own: a binary row is one unit, and a multiclass
/// row one unit for the scalars, class totals, confusion and top-label bins,
/// plus one per class-wise table, so that patterns do not multiply with the
/// bins of every class at once.
///
/// **Order.** Within a batch the rows of a pattern are added in input order,
/// and the patterns' sums go to the slots in the patterns' order of first
/// appearance; a batch's rows are its chunk's, so the sums depend on the
/// rows and the chunking only, never on the thread count.
struct ReplicateBatch {
    /// Rows a batch holds (the reader's chunks are this size).
    static let capacity = 8192
    /// Replicates summed at a time in `flush`: a batch's counts of one block
    /// are `capacity × blockLanes` bytes (512 KB), within a core's L2 cache;
    /// the last block takes the lanes left over (200 replicates: 64, 64 and 72,
    /// so no block of a few lanes repeats every pattern's and cell's work).
    static let blockLanes = 64

    /// Blocks of `stride` lanes: `blockLanes` each, the last one up to twice that.
    static func blocks(stride: Int) -> Int { Swift.max(1, stride / blockLanes) }

    let replicates: Int
    /// `R` rounded up to the kernels' 8 lanes.
    let stride: Int
    let units: [BootstrapReplicates.Unit]
    let isSquared: UnsafeMutablePointer<Bool>
    /// Grid columns per row, and the grid's cells per column (both labels).
    let columns: Int
    let columnCells: Int

    private(set) var rows = 0
    /// Whether every row of the batch weighs 1 (the grid then sums the counts alone).
    private var unitWeights = true
    private let keys: UnsafeMutablePointer<UInt64>
    /// The rows' keys and weights in the order their counts are drawn (unit 0's pattern order),
    /// and each row's place in that order.
    private let drawnKeys: UnsafeMutablePointer<UInt64>
    private let drawnWeights: UnsafeMutablePointer<Double>
    private let drawnAt: UnsafeMutablePointer<UInt32>
    /// One block's counts: row `i`'s lanes `first ..< first + lanes` at `[i · lanes]` (no padding between rows).
    private let counts: UnsafeMutablePointer<UInt8>
    /// The widest block's lanes: the stride of a row's counts and of a value's sums in `flush`.
    private let countStride: Int
    private let weights: UnsafeMutablePointer<Double>
    /// Row `i`'s grid cell in column `j`: `[j · capacity + i]`.
    private let cellOf: UnsafeMutablePointer<Int32>
    /// Row `i`'s pattern in unit `u`: `[u · capacity + i]`, and where its values start in `values`.
    private let patternOf: UnsafeMutablePointer<Int32>
    private let valueAt: UnsafeMutablePointer<UInt32>
    private let values: UnsafeMutablePointer<Double>
    private let valueCapacity: Int
    private var valueCount = 0
    /// The most values one row can add (every slot of every unit).
    private let rowValueBound: Int
    private var patterns = PatternTable()

    /// Scratch: the rows in pattern order for each unit, then in cell order for each column
    /// (`capacity` each), the pattern-ordered rows' value offsets, one pattern's sums, one row's terms.
    private let order: UnsafeMutablePointer<UInt32>
    private let orderedValues: UnsafeMutablePointer<UInt32>
    /// For unit `u` paired with grid column `u` (`paired` of them): the rows by
    /// pattern, then by cell within a pattern (`capacity` each), where each
    /// (pattern, cell) group ends and which of the column's reached cells it
    /// sums into (`2 · index + 1` for the cell's first group, `2 · index` after).
    private let paired: Int
    private let pairOrder: UnsafeMutablePointer<UInt32>
    private let groupEnds: UnsafeMutablePointer<UInt32>
    private let groupCells: UnsafeMutablePointer<UInt32>
    private let sums: UnsafeMutablePointer<Double>
    private let sumsCapacity: Int
    private let termLog: TermLog
    /// Each unit's sum and count slot ends, `[2u]` and `[2u + 1]`.
    private let unitEnds: UnsafeMutablePointer<Int>
    /// One unit's signature, and its squared and counted values until they follow its linear ones.
    private let signature: UnsafeMutablePointer<UInt32>
    private let squaredValues: UnsafeMutablePointer<Double>
    private let countedValues: UnsafeMutablePointer<Double>
    /// The pattern of each binary row shape met (`BinaryRow.shape`), or of each
    /// multiclass row's class-wise unit (`classShape`), by open
    /// addressing on a hash of the shape: `shapeSlots` shapes (`UInt64.max`, no shape, when empty)
    /// and their patterns. A shape lies at most `shapeProbes` slots past its own; one that would lie
    /// further replaces the shape at its own slot (a chunk meets a few dozen shapes at 15 bins, so
    /// the table stays sparse and a shape is found at the first probe; at a few hundred bins shapes
    /// start to evict each other, which sends more rows the general way, with the same sums).
    private let shapes: UnsafeMutablePointer<UInt64>
    private let shapePatterns: UnsafeMutablePointer<Int32>
    /// Class-wise units recorded by their shape (`recordClasswise`), for the tests.
    private(set) var unitsByShape = 0
    /// A power of two: 512, or room for at least four times the class-wise units' shapes (two a bin), up to 2¹⁶.
    private let shapeSlots: Int
    static let shapeProbes = 8
    /// Whether each row recorded by its shape is also checked against its terms (`checkShapedRow(log:)`): in debug builds.
    static var checksShapedRows: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }

    init(replicates: Int, units: [BootstrapReplicates.Unit], squaredSlots: [Bool], columns: Int, columnCells: Int) {
        self.replicates = replicates
        stride = (replicates + 7) & ~7
        self.units = units
        isSquared = .allocate(capacity: Swift.max(1, squaredSlots.count))
        isSquared.initialize(from: squaredSlots, count: squaredSlots.count)
        self.columns = columns
        self.columnCells = columnCells
        let capacity = Self.capacity
        keys = .allocate(capacity: capacity)
        drawnKeys = .allocate(capacity: capacity)
        drawnWeights = .allocate(capacity: capacity)
        drawnAt = .allocate(capacity: capacity)
        countStride = stride - Self.blockLanes * (Self.blocks(stride: stride) - 1)
        counts = .allocate(capacity: capacity * countStride)
        weights = .allocate(capacity: capacity)
        cellOf = .allocate(capacity: Swift.max(1, columns) * capacity)
        patternOf = .allocate(capacity: units.count * capacity)
        valueAt = .allocate(capacity: units.count * capacity)
        let bound = units.reduce(0) { $0 + $1.doubles.count + $1.counts.count }
        rowValueBound = bound
        valueCapacity = Swift.max(capacity * 16, 4 * bound)
        values = .allocate(capacity: valueCapacity)
        order = .allocate(capacity: (units.count + columns) * capacity)
        orderedValues = .allocate(capacity: units.count * capacity)
        paired = Swift.min(units.count, columns)
        pairOrder = .allocate(capacity: Swift.max(1, paired * capacity))
        groupEnds = .allocate(capacity: Swift.max(1, paired * capacity))
        groupCells = .allocate(capacity: Swift.max(1, paired * capacity))
        let widest = units.map { $0.doubles.count + $0.counts.count }.max() ?? 1
        // A pattern's value sums, then the counts' three.
        sumsCapacity = (Swift.max(1, widest) + 3) * countStride
        sums = .allocate(capacity: sumsCapacity)
        termLog = TermLog(sums: squaredSlots.count, counts: units.last.map { $0.counts.upperBound } ?? 0)
        precondition(units.allSatisfy { $0.doubles.upperBound <= Signature.slotLimit && $0.counts.upperBound <= Signature.slotLimit },
                     "more replicate slots than a signature word holds")
        unitEnds = .allocate(capacity: 2 * Swift.max(1, units.count))
        for (u, unit) in units.enumerated() { unitEnds[2 * u] = unit.doubles.upperBound; unitEnds[2 * u + 1] = unit.counts.upperBound }
        signature = .allocate(capacity: 1 + bound)
        squaredValues = .allocate(capacity: Signature.maxDistinct)
        countedValues = .allocate(capacity: Signature.maxDistinct)
        let classShapes = units.dropFirst().reduce(0) { $0 + 2 * $1.counts.count }
        shapeSlots = Swift.max(512, Swift.min(1 << 16, 1 << (Int.bitWidth - (4 * classShapes).leadingZeroBitCount)))
        shapes = .allocate(capacity: shapeSlots)
        shapes.initialize(repeating: .max, count: shapeSlots)
        shapePatterns = .allocate(capacity: shapeSlots)
    }

    /// Frees the batch's buffers (a local scratch of one chunk's `add`, freed once, at its end).
    func deallocate() {
        isSquared.deallocate(); keys.deallocate(); counts.deallocate(); weights.deallocate()
        drawnKeys.deallocate(); drawnWeights.deallocate(); drawnAt.deallocate()
        cellOf.deallocate(); patternOf.deallocate(); valueAt.deallocate(); values.deallocate()
        order.deallocate(); orderedValues.deallocate(); sums.deallocate()
        pairOrder.deallocate(); groupEnds.deallocate(); groupCells.deallocate()
        termLog.deallocate()
        unitEnds.deallocate(); signature.deallocate(); squaredValues.deallocate(); countedValues.deallocate()
        shapes.deallocate(); shapePatterns.deallocate()
    }

    var isFull: Bool { rows == Self.capacity || valueCount + rowValueBound > valueCapacity }

    /// An empty log for a row's terms, read by `record(key:weight:cells:log:)`.
    var log: TermLog { termLog.emptied }

    /// Records one row: its Poisson key, its weight and grid cells, and in
    /// each unit its logged terms as a signature (`Signature`) and distinct
    /// values, written after the batch's, linear then squared then counted.
    @inline(__always)
    mutating func record(key: UInt64, weight: Double, cells: UnsafePointer<Int>, log termLog: TermLog) {
        record(key: key, weight: weight, cells: cells, log: termLog, classwise: nil) { _, _ in }
    }

    /// A multiclass row's class-wise tables, for `recordClasswise`.
    struct ClasswiseRow {
        let probabilities: UnsafePointer<Double>
        let label: Int
        let classCount: Int
        let binCount: Int
    }

    /// Records a multiclass row of weight 1 as `record(key:weight:cells:log:)`
    /// does, from `log` holding its terms before the class-wise tables; class
    /// `c`'s table (unit `c + 1`) is logged by `logClass(c, &log)` only when
    /// needed. Its terms are a count and `1`, `p_c`, `1[y = c]` (when 1) and
    /// `1²` in the bin of `p_c`: for `0 < p_c < 1` the unit's one value is
    /// `p_c` and its pattern is fixed by the bin and `y = c` (`classShape`),
    /// so a unit of a shape met before takes that unit's pattern without
    /// logging. The first unit of a shape is logged and read as any other,
    /// and its pattern kept when it recorded `p_c` alone; debug builds check
    /// every unit the shortcut takes against its terms (`checksShapedRows`).
    @inline(__always)
    mutating func recordClasswise(key: UInt64, cells: UnsafePointer<Int>, log termLog: TermLog, probabilities p: UnsafePointer<Double>,
                                  label y: Int, classCount k: Int, binCount: Int, logClass: (Int, inout TermLog) -> Void) {
        precondition(units.count > k, "a unit per class after the first")
        record(key: key, weight: 1, cells: cells, log: termLog,
               classwise: ClasswiseRow(probabilities: p, label: y, classCount: k, binCount: binCount), logClass: logClass)
    }

    /// Both ways above: each unit's terms read from the log; with `classwise`,
    /// units 1…K by their shape where met before, else logged by `logClass` first.
    @inline(__always)
    private mutating func record(key: UInt64, weight: Double, cells: UnsafePointer<Int>, log termLog: TermLog,
                                 classwise: ClasswiseRow?, logClass: (Int, inout TermLog) -> Void) {
        let i = startRow(key: key, weight: weight)
        for j in 0..<columns { cellOf[j &* Self.capacity &+ i] = Int32(truncatingIfNeeded: cells[j]) }
        var log = termLog
        var e = 0, c = 0
        for u in 0..<units.count {
            let at = u &* Self.capacity &+ i
            var shape: UInt64?
            if let row = classwise, u >= 1 && u <= row.classCount {
                let value = row.probabilities[u &- 1]
                if value > 0 && value < 1 {
                    let unitShape = Self.classShape(unit: u, bin: ReliabilityBins.binIndex(of: value, binCount: row.binCount),
                                                    positive: row.label == u &- 1)
                    shape = unitShape
                    if let slot = shapeSlot(of: unitShape) {
                        values[valueCount] = value
                        valueAt[at] = UInt32(truncatingIfNeeded: valueCount)
                        valueCount &+= 1
                        patternOf[at] = shapePatterns[slot]
                        unitsByShape &+= 1
                        if Self.checksShapedRows {
                            logClass(u &- 1, &log)
                            var expected = value
                            checkLogged(unit: u, of: log, sums: &e, counts: &c, values: &expected, count: 1, pattern: shapePatterns[slot])
                        }
                        continue
                    }
                }
                logClass(u &- 1, &log)
            }
            // A unit's terms are the log's next ones below its slots' end (the families log in slot order;
            // a term out of order would only join another unit's pattern, at its own slot).
            let start = valueCount
            let unit = Signature.read(unit: u, of: log, sums: &e, counts: &c, ends: (unitEnds[2 &* u], unitEnds[2 &* u &+ 1]),
                                      isSquared: isSquared, into: signature, values: values + valueCount,
                                      scratch: (squaredValues, countedValues))
            valueAt[at] = UInt32(truncatingIfNeeded: valueCount)
            valueCount &+= unit.values
            patternOf[at] = patterns.index(of: UnsafeBufferPointer(start: signature, count: unit.length), isSquared: isSquared)
            if let shape, unit.values == 1 && values[start].bitPattern == classwise!.probabilities[u &- 1].bitPattern {
                keep(shape, pattern: patternOf[at])
            }
        }
        precondition(e == log.sumTerms && c == log.countTerms, "a logged term beyond the replicate layout")
        rows = i &+ 1
    }

    /// The shape of class-wise unit `u` of a row of weight 1 with `0 < p_c < 1` (`recordClasswise`).
    @inline(__always)
    static func classShape(unit u: Int, bin: Int, positive: Bool) -> UInt64 {
        UInt64(truncatingIfNeeded: u) &<< 32 | UInt64(truncatingIfNeeded: bin) &<< 1 | (positive ? 1 : 0)
    }

    /// The next row's place, its Poisson key and weight kept (both ways of recording a row).
    @inline(__always)
    private mutating func startRow(key: UInt64, weight: Double) -> Int {
        let i = rows
        keys[i] = key
        weights[i] = weight
        unitWeights = unitWeights && weight == 1
        return i
    }

    /// Records a binary row with the pattern an earlier row of its shape took
    /// (`remember(_:)`), and its values: what `record(key:weight:cells:log:)`
    /// of its terms would record (`BinaryRow`). Returns false, recording
    /// nothing, for a shape not met yet.
    @inline(__always)
    mutating func record(_ row: BinaryRow, key: UInt64, cell: Int) -> Bool {
        guard let at = shapeSlot(of: row.shape) else { return false }
        let i = startRow(key: key, weight: row.weight)
        cellOf[i] = Int32(truncatingIfNeeded: cell)
        // All six written (the batch has room for a row's every slot), `count` kept.
        let v = values + valueCount
        v[0] = row.values.0; v[1] = row.values.1; v[2] = row.values.2; v[3] = row.values.3; v[4] = row.values.4; v[5] = row.values.5
        valueAt[i] = UInt32(truncatingIfNeeded: valueCount)
        valueCount &+= row.count
        patternOf[i] = shapePatterns[at]
        rows = i &+ 1
        return true
    }

    /// Keeps the pattern of the row just recorded from its terms
    /// (`record(key:weight:cells:log:)`) for the later rows of its shape, when
    /// it recorded the row's values in `BinaryRow`'s order (it does; checked
    /// once a shape). This guards the values' order only: that the shape fixes
    /// every slot the terms go to is `BinaryRow`'s claim, which debug builds
    /// check on every row the shortcut takes (`checkShapedRow(log:)`).
    mutating func remember(_ row: BinaryRow) {
        precondition(units.count == 1 && columns == 1, "a binary row's shape in a batch of several units or grid columns")
        let i = rows - 1, start = Int(valueAt[i]), recorded = values + start
        let asExpected = withUnsafeBytes(of: row.values) { expected in
            (0..<row.count).allSatisfy { recorded[$0].bitPattern == expected.load(fromByteOffset: 8 * $0, as: UInt64.self) }
        }
        guard valueCount - start == row.count && asExpected else { return }
        keep(row.shape, pattern: patternOf[i])
    }

    /// Keeps a shape's pattern: at the first empty slot within reach, or else at the shape's own (replacing the shape there).
    private mutating func keep(_ shape: UInt64, pattern: Int32) {
        let home = homeSlot(of: shape), mask = shapeSlots - 1
        var at = home
        for probe in 0..<Self.shapeProbes where shapes[(home + probe) & mask] == .max {
            at = (home + probe) & mask
            break
        }
        shapes[at] = shape
        shapePatterns[at] = pattern
    }

    /// Debug builds (the tests, `checksShapedRows`) check every row recorded by its shape against
    /// its terms, `log`, logged as for any other row: the same values, in the
    /// same order, and the pattern its signature has. A family whose slots
    /// depended on anything the shape leaves out would trip this.
    mutating func checkShapedRow(log termLog: TermLog) {
        let i = rows - 1, start = Int(valueAt[i])
        var e = 0, c = 0
        checkLogged(unit: 0, of: termLog, sums: &e, counts: &c, values: values + start, count: valueCount - start, pattern: patternOf[i])
        precondition(e == termLog.sumTerms && c == termLog.countTerms, "a row recorded by its shape with more terms than its unit's")
    }

    /// Debug builds: unit `u`'s terms, read from `log` at `e` and `c` as for
    /// any row, must give the `count` values recorded by shape, bit for bit,
    /// and `pattern`.
    private func checkLogged(unit u: Int, of log: TermLog, sums e: inout Int, counts c: inout Int,
                             values expected: UnsafePointer<Double>, count: Int, pattern: Int32) {
        let logged = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, rowValueBound))
        defer { logged.deallocate() }
        let unit = Signature.read(unit: u, of: log, sums: &e, counts: &c, ends: (unitEnds[2 * u], unitEnds[2 * u + 1]), isSquared: isSquared,
                                  into: signature, values: logged, scratch: (squaredValues, countedValues))
        precondition(unit.values == count && (0..<count).allSatisfy { logged[$0].bitPattern == expected[$0].bitPattern },
                     "a unit recorded by its shape with other values than its terms")
        precondition(patterns.find(UnsafeBufferPointer(start: signature, count: unit.length)) == pattern,
                     "a unit recorded by its shape with another pattern than its terms'")
    }

    /// A shape's own slot in the table: the top bits of a multiplicative hash.
    @inline(__always)
    private func homeSlot(of shape: UInt64) -> Int {
        Int(truncatingIfNeeded: (shape &* 0x9E37_79B9_7F4A_7C15) &>> UInt64(64 - shapeSlots.trailingZeroBitCount))
    }

    /// The slot holding `shape`, probing from its own until an empty slot, or `nil`.
    @inline(__always)
    private func shapeSlot(of shape: UInt64) -> Int? {
        let home = homeSlot(of: shape), mask = shapeSlots - 1
        var probe = 0
        while probe < Self.shapeProbes {
            let at = (home &+ probe) & mask
            let found = shapes[at]
            if found == shape { return at }
            if found == .max { return nil }
            probe &+= 1
        }
        return nil
    }

    /// Adds the batch's rows to every replicate: `sums` and `counts` are the
    /// chunk's slot-major replicate sums (`[slot · R + r]`), `cells` the
    /// grid's. Empties the batch.
    ///
    /// The rows are sorted by pattern (each unit) and by grid cell (each
    /// column) once; then, a block of `blockLanes` replicates at a time, the
    /// block's counts are drawn and every pattern and cell is summed over
    /// them, so that the counts the sums read stay in the core's cache (all
    /// `R` lanes of a batch are about 1.6 MB, a block 0.5–0.6 MB). A lane's sums
    /// take the same operations in the same order as with one block.
    ///
    /// A block's counts are drawn in unit 0's pattern order (row `order[t]`'s
    /// at `t`), so that the sums read each pattern's counts one row after the
    /// next instead of 72 bytes here and there across half a megabyte; every
    /// list of rows the kernels take is turned into those places first. The
    /// kernels see the same rows in the same order: the same sums.
    ///
    /// When every row weighs 1, a cell's replicate weight is its rows' `Σ m`,
    /// which the counts' own sums of a unit's patterns go through anyway: unit
    /// `u`'s patterns take column `u`'s cells along (their rows in (pattern,
    /// cell) groups, `calib_count_sums_grouped`), and each reached cell's
    /// whole-number sum is added to its run once, as the cell's own pass added it.
    mutating func flush(sums replicateSums: UnsafeMutablePointer<Double>, counts replicateCounts: UnsafeMutablePointer<Double>,
               cells: inout ReplicateCells, thresholds: UnsafePointer<UInt16>) {
        guard rows > 0 else { return }
        let r = replicates, capacity = Self.capacity, lanesPerBlock = Self.blockLanes
        let unitStarts = units.indices.map { u in
            sortRows(by: patternOf + u * capacity, buckets: patterns.count, valueAt: valueAt + u * capacity,
                     order: order + u * capacity, orderedValues: orderedValues + u * capacity)
        }
        let cellStarts = (0..<columns).map { j in
            let cellsOfRows = cellOf + j * capacity
            let base = j * columnCells
            for i in 0..<rows { cellsOfRows[i] -= Int32(truncatingIfNeeded: base) }
            let starts = sortRows(by: cellsOfRows, buckets: columnCells, valueAt: nil,
                                  order: order + (units.count + j) * capacity, orderedValues: nil)
            // The reached cells' runs, started in the order one block at a time would start them.
            for c in 0..<columnCells where starts[c + 1] > starts[c] { cells.reserveRun(base + c) }
            return starts
        }
        // With unit weights a cell's replicate weight is its rows' `Σ m`: unit `u`'s pattern count sums
        // take column `u`'s cells along, each pattern's rows gone through in (pattern, cell) groups. There
        // is a unit for every column (`BootstrapReplicates.units`), so only weighted rows' columns are left.
        let pairs = unitWeights ? paired : 0
        precondition(!unitWeights || pairs == columns, "a unit for every grid column")
        // Those columns' reached cells in the order of their runs in memory (each run takes one add per
        // block, whatever the order: the same sums), so that the adds stream through the runs.
        let cellVisits: [[(run: Int, cell: Int)]] = cells.withRuns { runOf, _ in
            (pairs..<columns).map { j in
                let starts = cellStarts[j], base = j * columnCells
                var visits: [(run: Int, cell: Int)] = []
                for c in 0..<columnCells where starts[c + 1] > starts[c] { visits.append((Int(runOf[base + c]), c)) }
                visits.sort { $0.run < $1.run }
                return visits
            }
        }
        let grouped: [(groupStarts: [Int], cellRuns: [Int])] = cells.withRuns { runOf, _ in
            (0..<pairs).map { u in groupRows(unit: u, patternStarts: unitStarts[u], runOf: runOf + u * columnCells) }
        }
        drawInPatternOrder(pairs: pairs)
        // One block's `Σ m` per reached cell of a paired column, `countStride` lanes each (the most any column reached).
        let cellCounts = UnsafeMutablePointer<UInt32>.allocate(capacity: Swift.max(1, (grouped.map(\.cellRuns.count).max() ?? 0) * countStride))
        defer { cellCounts.deallocate() }
        let blocks = Self.blocks(stride: stride)
        for first in Swift.stride(from: 0, to: lanesPerBlock * blocks, by: lanesPerBlock) {
            // The last block takes the lanes left (64 to 127 of them).
            let lanes = first + lanesPerBlock * 2 > stride ? stride - first : lanesPerBlock
            // The block's replicates that exist (the last lanes of `stride` are padding).
            let used = Swift.min(first + lanes, r) - first
            // A row's counts take the block's lanes, no more: 64 bytes in all blocks but the last.
            let rowStride = lanes
            calib_poisson_counts(drawnKeys, rows, replicates, first, lanes, thresholds, counts, rowStride)
            cells.withRuns { _, runs in
            patterns.patterns.withUnsafeBufferPointer { patternAt in
            patterns.targets.withUnsafeBufferPointer { targets in
                for u in units.indices {
                    let starts = unitStarts[u], order = order + u * capacity, orderedValues = orderedValues + u * capacity
                    for p in 0..<patternAt.count where starts[p + 1] > starts[p] {
                        let pattern = patternAt[p]
                        let d = pattern.linear + pattern.squared + pattern.counted, n = starts[p + 1] - starts[p]
                        sums.initialize(repeating: 0, count: d * countStride)
                        calib_replicate_sums(sums, countStride, lanes, counts, rowStride, order + starts[p], orderedValues + starts[p], n,
                                             values, pattern.linear, pattern.squared, pattern.counted)
                        if u < pairs {
                            let groups = grouped[u].groupStarts, at = u * capacity
                            calib_count_sums_grouped(sums + d * countStride, countStride, lanes, counts, rowStride,
                                                     pairOrder + at + starts[p], groupEnds + at + groups[p], groupCells + at + groups[p],
                                                     groups[p + 1] - groups[p], cellCounts, countStride)
                        } else if pattern.hasUnits {
                            calib_count_sums(sums + d * countStride, 3, countStride, lanes, counts, rowStride, order + starts[p], n)
                        }
                        // The sums to the pattern's slots, lane by lane (`target[l] += source[l]`), in the kernel's vectors.
                        if let targetAt = targets.baseAddress {
                            calib_scatter_add(replicateSums, r, first, targetAt + pattern.sumTargets.lowerBound,
                                              pattern.sumTargets.count / 2, sums, countStride, used)
                            calib_scatter_add(replicateCounts, r, first, targetAt + pattern.countTargets.lowerBound,
                                              pattern.countTargets.count / 2, sums, countStride, used)
                        }
                    }
                    if u < pairs {
                        // Column `u`'s cells: each one's `Σ m` over the batch, added to its run once, as `calib_count_sums_add` did.
                        grouped[u].cellRuns.withUnsafeBufferPointer { runOffsets in
                            calib_add_cell_counts(runs + first, runOffsets.baseAddress, runOffsets.count, cellCounts, countStride, used)
                        }
                    }
                }
            }
            }
            }
            cells.withRuns { _, runs in
                for j in pairs..<columns {
                    // The grid: each cell's rows' `m_ir · w_i`, summed in input order, added to the cell's run.
                    let starts = cellStarts[j], order = order + (units.count + j) * capacity
                    for (run, c) in cellVisits[j - pairs] {
                        let n = starts[c + 1] - starts[c]
                        let target = runs + (run &* r &+ first)
                        sums.initialize(repeating: 0, count: countStride)
                        calib_replicate_sums(sums, countStride, lanes, counts, rowStride, order + starts[c], order + starts[c], n,
                                             drawnWeights, 1, 0, 0)
                        for l in 0..<used { target[l] += sums[l] }
                    }
                }
            }
        }
        rows = 0
        valueCount = 0
        unitWeights = true
    }

    /// Orders the keys and weights as unit 0's rows by pattern (`order`), and
    /// turns the rows the kernels take (every unit's pattern order, the
    /// paired units' (pattern, cell) order, the grid columns' cell order)
    /// into their places in that order. After `groupRows`, which reads rows.
    private func drawInPatternOrder(pairs: Int) {
        let capacity = Self.capacity
        // Only the weighted rows' grid columns (those past `pairs`) read the weights.
        let readsWeights = pairs < columns
        for t in 0..<rows {
            let i = units.isEmpty ? t : Int(order[t])
            drawnAt[i] = UInt32(truncatingIfNeeded: t)
            drawnKeys[t] = keys[i]
            if readsWeights { drawnWeights[t] = weights[i] }
        }
        func place(_ list: UnsafeMutablePointer<UInt32>) {
            for t in 0..<rows { list[t] = drawnAt[Int(list[t])] }
        }
        for u in units.indices { place(order + u * capacity) }
        for j in 0..<columns { place(order + (units.count + j) * capacity) }
        for u in 0..<pairs { place(pairOrder + u * capacity) }
    }

    /// Unit `u`'s rows by pattern and, within a pattern, by column `u`'s
    /// cell (a stable sort by pattern of the rows in cell order, so after the
    /// column's cell sort) into `pairOrder`, and the (pattern, cell) groups:
    /// where each ends, counted from its pattern's first row, in `groupEnds`,
    /// and its cell's index among the column's reached cells (in the order
    /// the groups first reach them) in `groupCells`. Returns where each
    /// pattern's groups start (patterns + 1 entries) and each reached cell's
    /// run (`R` · run).
    private func groupRows(unit u: Int, patternStarts: [Int], runOf: UnsafePointer<Int32>) -> (groupStarts: [Int], cellRuns: [Int]) {
        let capacity = Self.capacity, r = replicates
        let patternOf = patternOf + u * capacity, cellsOfRows = cellOf + u * capacity, byCell = order + (units.count + u) * capacity
        let rows = pairOrder + u * capacity, ends = groupEnds + u * capacity, cellsOfGroups = groupCells + u * capacity
        var next = patternStarts
        next.withUnsafeMutableBufferPointer { next in
            for t in 0..<self.rows {
                let i = byCell[t], p = Int(patternOf[Int(i)])
                rows[next[p]] = i
                next[p] &+= 1
            }
        }
        var starts = [Int](repeating: 0, count: patternStarts.count)
        var cellRuns: [Int] = []
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: columnCells) { indexOf in
            indexOf.initialize(repeating: -1)
            var g = 0
            for p in 0..<(patternStarts.count - 1) {
                starts[p] = g
                let first = patternStarts[p], end = patternStarts[p + 1]
                var t = first
                while t < end {
                    let cell = Int(cellsOfRows[Int(rows[t])])
                    var e = t &+ 1
                    while e < end && Int(cellsOfRows[Int(rows[e])]) == cell { e &+= 1 }
                    ends[g] = UInt32(truncatingIfNeeded: e - first)
                    var index = indexOf[cell], isFirst: UInt32 = 0
                    if index < 0 {
                        index = Int32(truncatingIfNeeded: cellRuns.count)
                        indexOf[cell] = index
                        cellRuns.append(Int(runOf[cell]) &* r)
                        isFirst = 1
                    }
                    cellsOfGroups[g] = UInt32(truncatingIfNeeded: index) &<< 1 | isFirst
                    g &+= 1
                    t = e
                }
            }
            starts[patternStarts.count - 1] = g
        }
        return (starts, cellRuns)
    }

    /// A stable counting sort of the batch's rows by `key` (in `0..<buckets`):
    /// fills `order` (and, with `valueAt`, `orderedValues`) and returns each
    /// bucket's start, `buckets + 1` entries.
    private func sortRows(by key: UnsafePointer<Int32>, buckets: Int, valueAt: UnsafePointer<UInt32>?,
                          order: UnsafeMutablePointer<UInt32>, orderedValues: UnsafeMutablePointer<UInt32>?) -> [Int] {
        var starts = [Int](repeating: 0, count: buckets + 1)
        starts.withUnsafeMutableBufferPointer { s in
            for i in 0..<rows { s[Int(key[i]) &+ 1] &+= 1 }
            for b in 0..<buckets { s[b + 1] &+= s[b] }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: buckets) { next in
                for b in 0..<buckets { next[b] = s[b] }
                for i in 0..<rows {
                    let b = Int(key[i])
                    let at = next[b]
                    next[b] = at &+ 1
                    order[at] = UInt32(truncatingIfNeeded: i)
                    if let valueAt { orderedValues![at] = valueAt[i] }
                }
            }
        }
        return starts
    }
}

extension ReplicateBatch {
    /// A row's pattern in one unit, one word a logged nonzero term: the
    /// unit's index, then its sums' words and its counts', in the order
    /// logged, each `slot << 5 | (index + 1)`, where `index` is the term's
    /// among the unit's distinct values of the slot's kind (linear, squared or
    /// counted: a slot's kind is fixed, `isSquared` or a count) by their bits
    /// in order of first appearance, and 0 below the slot for a term equal to 1
    /// (a row count, an unweighted row's weight and squared weight: its
    /// replicate sums are the counts' own, `Σ m`, `Σ m²` or `Σ min(m, 1)`,
    /// summed as integers). A count's word has its top bit set. Two rows share
    /// a pattern exactly when their signatures are equal; one word a term
    /// (not a slot and an index apart) halves what the hash and the table's compare read.
    enum Signature {
        /// The bits below a word's slot, and the most distinct values of one kind a unit's row can take.
        static let indexBits = 5
        static let maxDistinct = (1 << indexBits) - 1
        static let countFlag: UInt32 = 1 << 31
        /// Slots must fit below the index bits and the count flag.
        static let slotLimit = 1 << (31 - indexBits)

        @inline(__always)
        static func sumWord(slot: Int, index: UInt32) -> UInt32 { UInt32(truncatingIfNeeded: slot) &<< UInt32(indexBits) | index }

        @inline(__always)
        static func countWord(slot: Int, index: UInt32) -> UInt32 { countFlag | sumWord(slot: slot, index: index) }

        /// A word's term: its slot, its value's index (−1 for a term equal to 1), and whether it is a count.
        static func term(_ word: UInt32) -> (slot: Int, index: Int, isCount: Bool) {
            (Int((word & ~countFlag) >> UInt32(indexBits)), Int(word & UInt32(maxDistinct)) - 1, word & countFlag != 0)
        }

        /// Reads unit `u`'s terms, the log's sums from `sums` and counts from `counts`
        /// while their slots are below the unit's `ends`, and writes the unit's signature
        /// into `signature` and its distinct values into `values` (linear, squared,
        /// counted; the last two kinds wait in `scratch`, `maxDistinct` each). Returns how
        /// many words and values; `sums` and `counts` move past the unit's terms.
        @inline(__always)
        static func read(unit u: Int, of log: TermLog, sums e: inout Int, counts c: inout Int, ends: (sums: Int, counts: Int),
                         isSquared: UnsafePointer<Bool>, into signature: UnsafeMutablePointer<UInt32>, values: UnsafeMutablePointer<Double>,
                         scratch: (squared: UnsafeMutablePointer<Double>, counted: UnsafeMutablePointer<Double>)) -> (length: Int, values: Int) {
            let sumSlots = log.sumSlots, sumValues = log.sumValues, sumTerms = log.sumTerms
            let countSlots = log.countSlots, countValues = log.countValues, countTerms = log.countTerms
            var linear = 0, squared = 0, counted = 0
            signature[0] = UInt32(truncatingIfNeeded: u)
            var length = 1
            while e < sumTerms {
                let slot = Int(sumSlots[e])
                guard slot < ends.sums else { break }
                let term = sumValues[e]
                let index = term == 1 ? 0
                    : isSquared[slot] ? Self.index(of: term, in: scratch.squared, count: &squared)
                    : Self.index(of: term, in: values, count: &linear)
                signature[length] = sumWord(slot: slot, index: index)
                length &+= 1
                e &+= 1
            }
            while c < countTerms {
                let slot = Int(countSlots[c])
                guard slot < ends.counts else { break }
                let term = countValues[c]
                let index = term == 1 ? 0 : Self.index(of: Double(term), in: scratch.counted, count: &counted)
                signature[length] = countWord(slot: slot, index: index)
                length &+= 1
                c &+= 1
            }
            for q in 0..<squared { values[linear &+ q] = scratch.squared[q] }
            for q in 0..<counted { values[linear &+ squared &+ q] = scratch.counted[q] }
            return (length, linear &+ squared &+ counted)
        }

        /// The index + 1 of `value` among `distinct[0..<count]` by its bits, appending it when new.
        @inline(__always)
        static func index(of value: Double, in distinct: UnsafeMutablePointer<Double>, count: inout Int) -> UInt32 {
            let bits = value.bitPattern
            var q = 0
            while q < count {
                if distinct[q].bitPattern == bits { return UInt32(truncatingIfNeeded: q &+ 1) }
                q &+= 1
            }
            precondition(count < maxDistinct, "more distinct values of one kind in a unit than a signature word holds")
            distinct[count] = value
            count &+= 1
            return UInt32(truncatingIfNeeded: count)
        }
    }

    /// A binary row whose pattern is fixed by a few facts, its *shape*, so
    /// that a row of a shape met before takes that row's pattern without
    /// logging its terms (`record(_:key:cell:)`).
    ///
    /// A row of weight `w` logs (the families' formulas): the scalar totals'
    /// `W = w`, `CE = w·(−ln p_y)`, Brier `w·d·d` (`d = s − y`), `conf =
    /// w·p_top`, `Wc` and `Wcw` (`w` or 0), `S = w·s`, `n = 1` and clipped (1
    /// or 0); the class totals' `n_y = 1`, `W_y = w`, `CE_y = CE`; the
    /// confusion cell `(y, decided)`, `w`; the top-label bin of `p_top` and
    /// each class `c`'s bin of `p_c`: `n = 1`, `w`, `w·score`, `w·outcome`
    /// (`w` or 0) and the squared `w·w`. When the distinct ones, `w` (unless
    /// it is 1), `CE`, Brier, `w·p_top`, `w·p_other` and `w·w` (unless `w` is
    /// 1), are *ordinary* (neither 0 nor 1 nor NaN, the linear ones no two
    /// equal by bits), every other term is one of them, 1 or 0, so which slots
    /// log a term and which value each takes depend on `y`, `top`, the
    /// decision, whether the row is confident, confidently wrong, clipped,
    /// weighs 1, and the bins of `p_0` and `p_1` (`p_top`'s is one of them),
    /// packed into `shape`; the values, in order of first appearance, are `w`
    /// (unless it is 1), `CE`, Brier, `w·p_top`, `w·p_other` (at `S` or class
    /// 0's bin), then the squared `w·w` (unless `w` is 1). (`0 + x` and `1 · x`
    /// are `x` bit for bit for such an `x`, so the copies of a value the
    /// formulas make are equal.) Any other row (`init` is `nil`) logs its terms.
    ///
    /// Shape bits: `y`, `top`, decided, confident, confidently wrong, clipped
    /// and `w ≠ 1` at 0–6, the bin of `p_0` from bit 7 and of `p_1` from bit
    /// 33 (a bin is below `Signature.slotLimit`, 2²⁶).
    struct BinaryRow {
        let shape: UInt64
        let weight: Double
        /// The distinct values, `count` of them (4 at weight 1, 6 otherwise), in the order the batch keeps them.
        let values: (Double, Double, Double, Double, Double, Double)
        let count: Int

        @inline(__always)
        init?(_ row: RowContext, scalars: ScalarTotalsFamily, families: AuditFamilies) {
            var terms = ScalarTotalsFamily.Running()
            terms.add(row, confidentAt: scalars.confidentAt)
            let y = row.label, top = row.top, p = row.probabilities, w = row.weight
            // The class-wise table's `w · p_c` of the class that is not the top one.
            let other = w * p[1 &- top]
            @inline(__always) func isOrdinary(_ x: Double) -> Bool { x != 0 && x != 1 && !x.isNaN }
            @inline(__always) func differ(_ a: Double, _ b: Double) -> Bool { a.bitPattern != b.bitPattern }
            let (ce, brier, conf) = (terms.crossEntropy, terms.brier, terms.confidence)
            guard isOrdinary(ce) && isOrdinary(brier) && isOrdinary(conf) && isOrdinary(other),
                  differ(ce, brier) && differ(ce, conf) && differ(ce, other) && differ(brier, conf) && differ(brier, other)
                    && differ(conf, other) else { return nil }
            let isUnit = w == 1
            if isUnit {
                values = (ce, brier, conf, other, 0, 0)
                count = 4
            } else {
                let squared = w * w
                guard isOrdinary(w) && isOrdinary(squared),
                      differ(w, ce) && differ(w, brier) && differ(w, conf) && differ(w, other) else { return nil }
                values = (terms.weight, ce, brier, conf, other, squared)
                count = 6
            }
            weight = w
            @inline(__always) func bit(_ fact: Bool, at: UInt64) -> UInt64 { fact ? 1 &<< at : 0 }
            let bins = families.topLabel.bins.binCount
            let classes = bit(y == 1, at: 0) | bit(top == 1, at: 1) | bit(families.confusion.decision(row) == 1, at: 2)
            let flags = bit(terms.confident != 0, at: 3) | bit(terms.confidentWrong != 0, at: 4) | bit(terms.clipped != 0, at: 5)
                | bit(!isUnit, at: 6)
            let bin0 = UInt64(truncatingIfNeeded: ReliabilityBins.binIndex(of: p[0], binCount: bins))
            let bin1 = UInt64(truncatingIfNeeded: ReliabilityBins.binIndex(of: p[1], binCount: bins))
            shape = classes | flags | bin0 &<< 7 | bin1 &<< 33
        }
    }

    /// A hash of a signature (`Signature`'s words), two words a step: each pair
    /// mixed on its own (the multiplies run side by side) and chained by a
    /// rotate and an xor into one of four chains, pairs `t, t + 1, t + 2, t + 3`
    /// into chains 0 to 3 (one chain of every step was the batch's longest wait
    /// per row); the chains are mixed at the end. Only the table's probes depend on it.
    @inline(__always)
    static func hash(_ signature: UnsafeBufferPointer<UInt32>) -> UInt64 {
        let words = signature.baseAddress!, length = signature.count
        @inline(__always) func step(_ h: UInt64, _ at: Int) -> UInt64 {
            let x = UnsafeRawPointer(words + at).loadUnaligned(as: UInt64.self)
            return (h &<< 7 | h &>> 57) ^ (x &* 0x9E37_79B9_7F4A_7C15)
        }
        var h0 = UInt64(truncatingIfNeeded: length), h1: UInt64 = 0, h2: UInt64 = 0, h3: UInt64 = 0
        var t = 0
        while t &+ 7 < length {
            h0 = step(h0, t); h1 = step(h1, t &+ 2); h2 = step(h2, t &+ 4); h3 = step(h3, t &+ 6)
            t &+= 8
        }
        while t &+ 1 < length {
            h0 = step(h0, t)
            t &+= 2
        }
        if t < length { h0 = (h0 &<< 7 | h0 &>> 57) ^ (UInt64(words[t]) &* 0xBF58_476D_1CE4_E5B9) }
        var h = h0 ^ (h1 &<< 16 | h1 &>> 48) ^ (h2 &<< 32 | h2 &>> 32) ^ (h3 &<< 48 | h3 &>> 16)
        h = (h ^ (h &>> 31)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h &>> 29)
    }

    /// Which distinct value each slot of a row takes: rows of one pattern are summed together.
    struct Pattern {
        let linear: Int, squared: Int, counted: Int
        /// Whether a term equals 1: then the counts' own sums follow the values' (see `Signature`).
        let hasUnits: Bool
        /// Where its `(slot, index)` pairs lie in `PatternTable.targets`, the sums' then the
        /// counts': an index into the values' sums (squared after linear, counted last), or
        /// past them into the counts' sums `Σ m`, `Σ m²`, `Σ min(m, 1)` (no arrays of its own,
        /// so reading a pattern in `flush` retains nothing).
        let sumTargets: Range<Int>
        let countTargets: Range<Int>
    }

    /// The patterns met so far in every unit, found by an open-addressing table over their signatures' hashes.
    struct PatternTable {
        private(set) var patterns: [Pattern] = []
        /// Every pattern's `(slot, index)` pairs, two entries each (see `Pattern`).
        private(set) var targets: [Int] = []
        /// The signatures one after another; pattern `p`'s from `starts[p]` to `starts[p + 1]`.
        private var signatures: [UInt32] = []
        private var starts: [Int] = [0]
        private var hashes: [UInt64] = []
        /// Pattern index + 1, or 0 for an empty slot; a power of two long.
        private var table = [Int32](repeating: 0, count: 1024)

        var count: Int { patterns.count }

        private func matches(_ p: Int, _ signature: UnsafeBufferPointer<UInt32>) -> Bool {
            let start = starts[p]
            guard starts[p + 1] - start == signature.count else { return false }
            return signatures.withUnsafeBufferPointer { s in
                memcmp(s.baseAddress! + start, signature.baseAddress!, 4 * signature.count) == 0
            }
        }

        /// The index of the pattern of a unit's signature (`Signature`), added when new.
        mutating func index(of signature: UnsafeBufferPointer<UInt32>, isSquared: UnsafePointer<Bool>) -> Int32 {
            let h = ReplicateBatch.hash(signature)
            let found = probe(signature, hash: h)
            return found.pattern ?? add(signature, hash: h, at: found.slot, isSquared: isSquared)
        }

        /// The pattern of a signature, or `nil` when no row has had it (adds none).
        func find(_ signature: UnsafeBufferPointer<UInt32>) -> Int32? {
            probe(signature, hash: ReplicateBatch.hash(signature)).pattern
        }

        /// The pattern of a signature of hash `h`, or else the empty slot where it would go.
        @inline(__always)
        private func probe(_ signature: UnsafeBufferPointer<UInt32>, hash h: UInt64) -> (pattern: Int32?, slot: Int) {
            let mask = table.count - 1
            var at = Int(truncatingIfNeeded: h) & mask
            while true {
                let entry = Int(table[at])
                if entry == 0 { return (nil, at) }
                if hashes[entry - 1] == h && matches(entry - 1, signature) { return (Int32(entry - 1), at) }
                at = (at &+ 1) & mask
            }
        }

        private mutating func add(_ s: UnsafeBufferPointer<UInt32>, hash h: UInt64, at: Int, isSquared: UnsafePointer<Bool>) -> Int32 {
            let index = patterns.count
            // The distinct values of each kind, indexed in their order of first appearance: the highest index is their number.
            var linear = 0, squared = 0, counted = 0
            for word in s.dropFirst() {
                let term = Signature.term(word)
                if term.isCount {
                    counted = Swift.max(counted, term.index + 1)
                } else if isSquared[term.slot] {
                    squared = Swift.max(squared, term.index + 1)
                } else {
                    linear = Swift.max(linear, term.index + 1)
                }
            }
            let first = targets.count
            let d = linear + squared + counted
            var hasUnits = false
            // The sums' words, then the counts'.
            let countsAt = s.indices.dropFirst().first { Signature.term(s[$0]).isCount } ?? s.count
            let middle = first + 2 * (countsAt - 1)
            for t in 1..<s.count {
                let term = Signature.term(s[t])
                if term.index < 0 {
                    // A term equal to 1: the counts' own `Σ m`, `Σ m²` or `Σ min(m, 1)`.
                    hasUnits = true
                    targets.append(term.slot)
                    targets.append(d + (term.isCount ? 2 : isSquared[term.slot] ? 1 : 0))
                } else {
                    // A squared value's index counts from the end of the linear ones, a counted one's from the squared ones'.
                    targets.append(term.slot)
                    targets.append((term.isCount ? linear + squared : isSquared[term.slot] ? linear : 0) + term.index)
                }
            }
            patterns.append(Pattern(linear: linear, squared: squared, counted: counted, hasUnits: hasUnits,
                                    sumTargets: first..<middle, countTargets: middle..<targets.count))
            signatures.append(contentsOf: s)
            starts.append(signatures.count)
            hashes.append(h)
            table[at] = Int32(index + 1)
            if 2 * patterns.count > table.count { rehash() }
            return Int32(index)
        }

        private mutating func rehash() {
            table = [Int32](repeating: 0, count: 2 * table.count)
            let mask = table.count - 1
            for (p, h) in hashes.enumerated() {
                var at = Int(truncatingIfNeeded: h) & mask
                while table[at] != 0 { at = (at &+ 1) & mask }
                table[at] = Int32(p + 1)
            }
        }
    }
}

/// One row's nonzero terms, as the families' formulas add them (`TermSink`),
/// in the replicate scratch's slots: what `ReplicateBatch` turns into a
/// pattern. A zero term is left out (it adds nothing to any replicate). The
/// buffers are the batch's; a log is a fresh view of them for each row.
struct TermLog: TermSink {
    let sumSlots: UnsafeMutablePointer<Int32>
    let sumValues: UnsafeMutablePointer<Double>
    let countSlots: UnsafeMutablePointer<Int32>
    let countValues: UnsafeMutablePointer<Int>
    let sumCapacity: Int, countCapacity: Int
    /// Terms logged.
    var sumTerms = 0, countTerms = 0

    /// A log with room for one term per slot of a scratch of `sums` and `counts` slots.
    init(sums: Int, counts: Int) {
        sumCapacity = sums; countCapacity = counts
        sumSlots = .allocate(capacity: Swift.max(1, sums)); sumValues = .allocate(capacity: Swift.max(1, sums))
        countSlots = .allocate(capacity: Swift.max(1, counts)); countValues = .allocate(capacity: Swift.max(1, counts))
    }

    func deallocate() {
        sumSlots.deallocate(); sumValues.deallocate(); countSlots.deallocate(); countValues.deallocate()
    }

    /// The same buffers, empty.
    var emptied: TermLog {
        var log = self
        log.sumTerms = 0; log.countTerms = 0
        return log
    }

    @inline(__always)
    mutating func addSum(_ value: Double, at slot: Int) {
        guard value != 0 else { return }
        precondition(sumTerms < sumCapacity, "more terms in a row than slots")
        sumSlots[sumTerms] = Int32(truncatingIfNeeded: slot)
        sumValues[sumTerms] = value
        sumTerms &+= 1
    }

    @inline(__always)
    mutating func addCount(_ value: Int, at slot: Int) {
        guard value != 0 else { return }
        precondition(countTerms < countCapacity, "more counts in a row than slots")
        countSlots[countTerms] = Int32(truncatingIfNeeded: slot)
        countValues[countTerms] = value
        countTerms &+= 1
    }
}
