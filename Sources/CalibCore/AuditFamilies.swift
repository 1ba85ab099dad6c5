/// The families of the audit's fused loop that sum into the scratch, in one
/// concrete type: the loop derives a `RowContext` and calls
/// `accumulate(_:sums:counts:)` once, and this type hands the row to each
/// family in turn (statically dispatched, inlined). A new family of sums is a
/// stored property here and one line in each requirement; the loop does not
/// change. The scalar totals (`ScalarTotalsFamily`, summed in the loop's
/// registers) and the worst rows (`WorstRows`, which need the chunk's lines
/// and ids) sit beside it in `AuditAccumulator`.
///
/// Scratch layout: the families' slices one after another, in declaration
/// order; their offsets are fixed at `init` (they depend only on `K`, `B` and the losses).
struct AuditFamilies: AccumulatorFamily {
    var classTotals: ClassTotalsFamily
    var confusion: ConfusionFamily
    var topLabel: TopLabelFamily
    var classwise: ClasswiseFamily
    var losses: LossAccumulator
    let scratchLayout: ScratchLayout
    private let totalsAt, confusionAt, topAt, classwiseAt, lossAt: (sums: Int, counts: Int)

    init(classCount k: Int, settings: AuditSettings, losses: [LossSpecification]) {
        classTotals = ClassTotalsFamily(classCount: k)
        confusion = ConfusionFamily(classCount: k, threshold: settings.threshold)
        topLabel = TopLabelFamily(binCount: settings.bins)
        classwise = ClasswiseFamily(classCount: k, binCount: settings.bins)
        self.losses = LossAccumulator(classCount: k, specifications: losses)
        var layout = ScratchLayout()
        totalsAt = layout.reserve(classTotals.scratchLayout)
        confusionAt = layout.reserve(confusion.scratchLayout)
        topAt = layout.reserve(topLabel.scratchLayout)
        classwiseAt = layout.reserve(classwise.scratchLayout)
        lossAt = layout.reserve(self.losses.scratchLayout)
        scratchLayout = layout
    }

    /// The inline bytes of the families' totals (array references and
    /// the top-label table), leaving out the settings copies (class count,
    /// threshold, bin count) and the scratch offsets: what
    /// ``AuditAccumulator/stateBytes`` counts for the families.
    static var totalsHeaderBytes: Int {
        MemoryLayout<ClassTotalsFamily>.stride + MemoryLayout<[CompensatedSum]>.stride + MemoryLayout<TopLabelFamily>.stride
            + MemoryLayout<[ReliabilityBins]>.stride + MemoryLayout<LossAccumulator>.stride
    }

    /// The scratch slots that sum a squared weight (the bins' `w²`); every
    /// other slot of the families before the losses adds a term linear in
    /// the row's weight, and every count adds 1 (the bootstrap's replicates
    /// keep no losses, whose terms these slots do not describe).
    /// The bootstrap scales a row's terms by `m`, `m²` and `1[m > 0]` accordingly.
    var squaredWeightSlots: [Int] {
        let bins = topLabel.bins.binCount
        let perTable = ReliabilityBins.squaredWeightSlots(binCount: bins)
        return perTable.map { $0 + topAt.sums }
            + classwise.classes.indices.flatMap { c in perTable.map { $0 + classwiseAt.sums + 4 * bins * c } }
    }

    /// The reliability tables' slices in the scratch, the top-label table's
    /// then each class's: where their `4B` sums and `B` counts start, and `B`
    /// (`ReliabilityBins.fold` leaves a bin's sums alone when its count is 0).
    var binTableSlots: [(sums: Int, counts: Int, bins: Int)] {
        let bins = topLabel.bins.binCount
        return [(topAt.sums, topAt.counts, bins)]
            + classwise.classes.indices.map { c in (classwiseAt.sums + 4 * bins * c, classwiseAt.counts + bins * c, bins) }
    }

    /// Where the losses' slice starts in the scratch: the slots before it
    /// hold every other family's sums, in the order of `state`'s numbers.
    var lossSlots: (sums: Int, counts: Int) { lossAt }

    /// Where the class-wise tables' slice starts in the scratch: class `c`'s
    /// table holds `4B` sums and `B` counts from there (`ClasswiseFamily`).
    var classwiseSlots: (sums: Int, counts: Int) { classwiseAt }

    @inline(__always)
    func accumulate(_ row: RowContext, sums: UnsafeMutablePointer<Double>, counts: UnsafeMutablePointer<Int>) {
        classTotals.accumulate(row, sums: sums + totalsAt.sums, counts: counts + totalsAt.counts)
        confusion.accumulate(row, sums: sums + confusionAt.sums, counts: counts + confusionAt.counts)
        topLabel.accumulate(row, sums: sums + topAt.sums, counts: counts + topAt.counts)
        classwise.accumulate(row, sums: sums + classwiseAt.sums, counts: counts + classwiseAt.counts)
        losses.accumulate(row, sums: sums + lossAt.sums, counts: counts + lossAt.counts)
    }

    /// The row's terms of every family but the losses (which the bootstrap's
    /// replicates do not keep), slot by slot in ascending order.
    @inline(__always)
    func addTermsBeforeLosses<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        addTermsBeforeClasswise(row, to: &sink, at: base)
        classwise.addTerms(row, to: &sink, at: base.advanced(by: classwiseAt))
    }

    /// The row's terms of the families before the class-wise tables (the
    /// first part of `addTermsBeforeLosses`): the bootstrap adds each class's
    /// table's terms apart (`ReplicateBatch.recordClasswise`).
    @inline(__always)
    func addTermsBeforeClasswise<Sink: TermSink>(_ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        classTotals.addTerms(row, to: &sink, at: base.advanced(by: totalsAt))
        confusion.addTerms(row, to: &sink, at: base.advanced(by: confusionAt))
        topLabel.addTerms(row, to: &sink, at: base.advanced(by: topAt))
    }

    /// Class `c`'s table's terms of the row (the rest of `addTermsBeforeLosses`, class by class).
    @inline(__always)
    func addClasswiseTerms<Sink: TermSink>(ofClass c: Int, _ row: RowContext, to sink: inout Sink, at base: SlotBase) {
        classwise.addTerms(ofClass: c, row, to: &sink, at: base.advanced(by: classwiseAt))
    }

    mutating func fold(sums: UnsafePointer<Double>, counts: UnsafePointer<Int>) {
        classTotals.fold(sums: sums + totalsAt.sums, counts: counts + totalsAt.counts)
        confusion.fold(sums: sums + confusionAt.sums, counts: counts + confusionAt.counts)
        topLabel.fold(sums: sums + topAt.sums, counts: counts + topAt.counts)
        classwise.fold(sums: sums + classwiseAt.sums, counts: counts + classwiseAt.counts)
        losses.fold(sums: sums + lossAt.sums, counts: counts + lossAt.counts)
    }

    /// The first family's mismatch, checking the class count, the bins, the
    /// threshold and the losses in that order (as ``AuditAccumulator/mismatch(with:)``).
    func mismatch(with other: AuditFamilies) -> MergeMismatch? {
        classTotals.mismatch(with: other.classTotals)
            ?? topLabel.mismatch(with: other.topLabel)
            ?? confusion.mismatch(with: other.confusion)
            ?? classwise.mismatch(with: other.classwise)
            ?? losses.mismatch(with: other.losses)
    }

    mutating func merge(_ other: AuditFamilies) {
        classTotals.merge(other.classTotals)
        confusion.merge(other.confusion)
        topLabel.merge(other.topLabel)
        classwise.merge(other.classwise)
        losses.merge(other.losses)
    }

    /// The families' states one after another, in declaration order.
    var state: FamilyState {
        var state = FamilyState()
        for part in [classTotals.state, confusion.state, topLabel.state, classwise.state, losses.state] { state.append(part) }
        return state
    }

    mutating func read(_ reader: inout FamilyState.Reader) throws(FamilyState.Malformed) {
        try classTotals.read(&reader)
        try confusion.read(&reader)
        try topLabel.read(&reader)
        try classwise.read(&reader)
        try losses.read(&reader)
    }

    /// What the families finish to, for ``AuditAccumulator/result(classNames:)``.
    struct Results {
        let classTotals: (weights: [Double], rows: [Int], crossEntropy: [Double])
        let confusion: ConfusionMatrix
        let topLabel: ReliabilityTable
        let classwise: [ReliabilityTable]
        let imbalance: ImbalanceSummary
    }

    func result(_ context: FamilyResultContext) -> Results {
        Results(classTotals: classTotals.result(context), confusion: confusion.result(context),
                topLabel: topLabel.result(context), classwise: classwise.result(context), imbalance: losses.result(context))
    }
}
