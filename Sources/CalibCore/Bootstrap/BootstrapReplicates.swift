/// The replicates of the Poisson bootstrap (SPEC section 10), summed in the
/// audit's single pass beside the full sample's sums.
///
/// **Streaming sums.** Replicate `r` holds the same families of sums as the
/// audit (scalar totals, class totals, confusion, top-label and class-wise
/// bins; the imbalance losses and worst rows have no interval), as if fed by
/// the same formulas with each row's weight `m_ir · w_i`
/// (``PoissonCounts``): a row's terms are found once, by those formulas at the
/// row's own weight into a `TermLog`, and each is added to every replicate
/// scaled by `m_ir` (a term linear in the weight), `m_ir²` (a squared weight,
/// `AuditFamilies.squaredWeightSlots`) or `1[m_ir > 0]` (a count), in
/// batches of rows grouped by pattern (`ReplicateBatch`) by the C kernels of
/// `CalibKernels`. A replicate's metrics are
/// then the audit's own `result` of those sums: every key of section 3 gets
/// its replicate value from the one formula that gives its estimate.
///
/// **Sorted estimators.** Ranking (section 8) and the estimators of section 9
/// need each replicate's rows in score order, which no sum holds and no
/// replicate can afford to sort. Each replicate keeps instead its positive and
/// negative weight in every cell of a fine grid of the score and of its
/// complement (`2⁻⁵` of a binade of `s` below ½ and of `1 − s` above, for
/// binary tasks; `2⁻³` for each column of a multiclass one); at the end every cell becomes two pseudo-rows
/// at the full sample's mean score of the cell's positives and negatives, and
/// the estimators run unchanged on them. The replicate value is centred on
/// the exact estimate, `θ*_r = θ̂ + (θ_cells(r) − θ_cells(full))`, so the
/// grid's small bias cancels and only the replicate-to-replicate spread comes
/// from the grid (pairs in one cell count as tied). Every replicate's grid
/// holds the same pseudo-rows, only their weights differ, so what depends on
/// the rows alone is found once in `finish`: their order for the ranking
/// areas (`ReplicateRanking`, the same bits as `ScoreStore.rankExact`), their
/// logits for the logistic fits (`ReplicateFits`, exact Newton from the full
/// grid's solution) and the smooth ECE's kernel at the full sample's σ*
/// (`FixedBandwidthSmoothECE`, the same bits as `SmoothECEGrid`).
///
/// Memory: `R` copies of the families' totals, flat (`ReplicateTotals`,
/// O(R·(K² + K·B))), plus `R` weights
/// for each of the `2 × columns × cells` grid slots the rows reach
/// (`ReplicateCells`; binary: 2,498 cells, at most 8 MB at R = 200, about
/// 1.5 MB for the benchmark's scores).
/// Time per row: the families' formulas once, the row's `R` Poisson counts
/// (16 a vector), and `R` fused multiply-adds per *distinct* term value (about
/// 4 for an unweighted binary row; terms equal to 1 take integer sums of the
/// counts) and per grid column.
struct BootstrapReplicates: Sendable {
    let settings: BootstrapSettings
    let classCount: Int
    /// Every replicate's totals of the scalar totals and the families, flat (`ReplicateTotals`).
    var totals: ReplicateTotals
    /// A replicate's families with no rows: their settings and layouts.
    let scalarTemplate: ScalarTotalsFamily
    let familyTemplate: AuditFamilies
    /// Score columns with a grid: 1 (binary: `s` against `y`) or `K + 1`
    /// (`p_k` against `1[y = k]`, then the top-label confidence against `1[correct]`).
    let columns: Int
    /// A cell is a score store bucket shifted right by this.
    let cellShift: Int
    let cellCount: Int
    /// Replicate `r`'s weight of label `l` in cell `c` of column `j`: slot `(j·cellCount + c)·2 + l`'s
    /// run, one row's replicates contiguous, for the slots rows reached.
    var cells: ReplicateCells
    /// The full sample's weight and weighted score per cell and label: `[(j·cellCount + c)·2 + l]`.
    var fullWeights: [Double]
    var fullScores: [Double]

    /// The score of slot `slot`'s pseudo-row (its rows' weighted mean score, clamped to [0, 1]),
    /// `nil` for a slot no row reached: what every replicate's grid ranks, walks and fits.
    @inline(__always)
    func pseudoScore(slot: Int) -> Double? {
        let total = fullWeights[slot]
        guard total > 0 else { return nil }
        return Swift.min(Swift.max(fullScores[slot] / total, 0), 1)
    }
    /// Added to each row's line to key its Poisson counts (`--row-offset`; not merged, not compared).
    var rowOffset = 0

    init(settings: BootstrapSettings, classCount k: Int, auditSettings: AuditSettings) {
        self.settings = settings
        classCount = k
        scalarTemplate = ScalarTotalsFamily(confidentAt: auditSettings.confidentAt)
        familyTemplate = AuditFamilies(classCount: k, settings: auditSettings, losses: [])
        totals = ReplicateTotals(replicates: settings.replicates, scalars: scalarTemplate, families: familyTemplate)
        columns = k == 2 ? 1 : k + 1
        cellShift = k == 2 ? 2 : 4
        cellCount = 2 * Self.halfCells(shift: cellShift)
        cells = ReplicateCells(replicates: settings.replicates, slots: columns * cellCount * 2)
        fullWeights = []
        fullScores = []
    }

    var replicates: Int { settings.replicates }

    /// Replicate `r`'s scalar totals as `scalars[r]`, read from and written to `totals`.
    var scalars: ReplicateFamilies<ScalarTotalsFamily> {
        get { ReplicateFamilies(totals: totals, template: scalarTemplate) }
        _modify {
            // The totals move into the view and back, so a write does not copy them.
            var view = ReplicateFamilies(totals: totals, template: scalarTemplate)
            totals = .placeholder
            defer { totals = view.totals }
            yield &view
        }
    }

    /// Replicate `r`'s families as `families[r]`, read from and written to `totals`.
    var families: ReplicateFamilies<AuditFamilies> {
        get { ReplicateFamilies(totals: totals, template: familyTemplate) }
        _modify {
            var view = ReplicateFamilies(totals: totals, template: familyTemplate)
            totals = .placeholder
            defer { totals = view.totals }
            yield &view
        }
    }

    /// The scratch of one replicate: the scalar totals' slots, then the families'.
    var replicateLayout: (stride: ScratchLayout, scalars: (sums: Int, counts: Int), families: (sums: Int, counts: Int)) {
        var layout = ScratchLayout()
        let s = layout.reserve(scalarTemplate.scratchLayout)
        let f = layout.reserve(familyTemplate.scratchLayout)
        return (layout, s, f)
    }

    /// An empty batch for a chunk's rows (`ReplicateBatch`): these units and
    /// grid columns, the bins' squared-weight slots marked.
    func makeBatch() -> ReplicateBatch {
        let layout = replicateLayout
        var squared = [Bool](repeating: false, count: layout.stride.doubles)
        for slot in familyTemplate.squaredWeightSlots { squared[layout.families.sums + slot] = true }
        return ReplicateBatch(replicates: replicates, units: units, squaredSlots: squared, columns: columns, columnCells: 2 * cellCount)
    }

    /// Slots of a replicate's scratch whose rows' patterns `ReplicateBatch` finds
    /// apart from the others' (its doc says why).
    struct Unit {
        let doubles: Range<Int>
        let counts: Range<Int>
    }

    /// The scratch in units: all of it for a binary task; for a multiclass one,
    /// the slots before the class-wise tables, then each class's table (and
    /// whatever follows them).
    var units: [Unit] {
        let layout = replicateLayout
        let all = Unit(doubles: 0..<layout.stride.doubles, counts: 0..<layout.stride.counts)
        guard classCount > 2 else { return [all] }
        let family = familyTemplate
        let bins = family.classwise.binCount
        let start = (sums: layout.families.sums + family.classwiseSlots.sums, counts: layout.families.counts + family.classwiseSlots.counts)
        var units = [Unit(doubles: 0..<start.sums, counts: 0..<start.counts)]
        for c in 0..<classCount {
            units.append(Unit(doubles: (start.sums + 4 * bins * c)..<(start.sums + 4 * bins * (c + 1)),
                              counts: (start.counts + bins * c)..<(start.counts + bins * (c + 1))))
        }
        let end = (sums: start.sums + 4 * bins * classCount, counts: start.counts + bins * classCount)
        if end.sums < all.doubles.upperBound || end.counts < all.counts.upperBound {
            units.append(Unit(doubles: end.sums..<all.doubles.upperBound, counts: end.counts..<all.counts.upperBound))
        }
        return units
    }

    /// Allocates the grids at the first rows (an empty part of a merge keeps none).
    mutating func allocateCells() {
        guard fullWeights.isEmpty else { return }
        cells.allocate()
        fullWeights = Array(repeating: 0, count: columns * cellCount * 2)
        fullScores = fullWeights
    }

    /// The cells of scores in `[0, ½]` (the other half mirrors them).
    static func halfCells(shift: Int) -> Int { (ExactScores.grid.bucket(0.5) >> shift) + 1 }

    /// The grid cell of a score in `[0, 1]`: the score store's bucket of `s`
    /// (shifted right by `shift`) for `s ≤ ½`, and the mirror of `1 − s`'s
    /// (exact for `s ≥ ½`) above, so the grid is as fine near 1 as near 0 —
    /// where top-label confidences and confident positives lie. Non-decreasing in `s`.
    @inline(__always)
    static func cell(of s: Double, shift: Int, half: Int) -> Int {
        s <= 0.5 ? ExactScores.grid.bucket(s) >> shift : 2 * half - 1 - (ExactScores.grid.bucket(1 - s) >> shift)
    }

    /// Adds another part's replicates (merge in input order).
    mutating func merge(_ other: BootstrapReplicates) {
        precondition(other.settings == settings && other.classCount == classCount, "merging bootstraps of different settings")
        totals.merge(other.totals)
        guard !other.fullWeights.isEmpty else { return }
        if fullWeights.isEmpty {
            cells = other.cells
            fullWeights = other.fullWeights
            fullScores = other.fullScores
            return
        }
        cells.merge(other.cells)
        Self.add(other.fullWeights, to: &fullWeights)
        Self.add(other.fullScores, to: &fullScores)
    }

    private static func add(_ source: [Double], to target: inout [Double]) {
        source.withUnsafeBufferPointer { s in
            target.withUnsafeMutableBufferPointer { t in
                for i in 0..<t.count { t[i] += s[i] }
            }
        }
    }

    /// Bytes held (element strides).
    var bytes: Int {
        cells.bytes + 8 * (fullWeights.count + fullScores.count)
            + replicates * 2 * MemoryLayout<CompensatedSum>.stride * (familyTemplate.scratchLayout.doubles + scalarTemplate.scratchLayout.doubles)
    }
}
