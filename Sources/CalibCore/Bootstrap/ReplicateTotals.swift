import CalibKernels

/// Every bootstrap replicate's compensated totals in three flat arrays,
/// slot-major: slot `s` of replicate `r` (the slots of a replicate's scratch,
/// `BootstrapReplicates.replicateLayout`: the scalar totals', then the
/// families') at `[s · R + r]`, its running sum in `sums`, its compensation in
/// `compensations`, a count slot's total in `counts`.
///
/// **Why flat.** A chunk's replicate sums are slot-major already
/// (`ReplicateBatch.flush`); folding them into `R` copies of the families
/// meant some ten arrays a replicate, each checked for uniqueness (and copied
/// at a block's first chunk) and walked slot by slot. Here a chunk's fold is
/// one pass of `CompensatedSum.add` over contiguous lanes (`calib_fold_sums`),
/// and a merge one pass of `CompensatedSum.merge`.
///
/// **Exactness.** Each slot takes the operations its family's `fold` and
/// `merge` give it, in the same order: `add` of the chunk's plain sum, `merge`
/// of another part's sum, `+=` of a count; a reliability bin's four sums are
/// left alone in a replicate where the bin's count of the chunk is 0, as
/// `ReliabilityBins.fold` skips an empty bin (`guards`). So the totals are the
/// families' bits; `scalars(_:)` and `families(_:)` read them back as the
/// families, through the families' own state layout, and `setScalars(_:_:)`
/// and `setFamilies(_:_:)` write them.
struct ReplicateTotals: Sendable {
    let replicates: Int
    /// Sum and count slots of one replicate.
    let sumSlots: Int
    let countSlots: Int
    /// Where the families' slots start (the scalar totals' come first), and
    /// where their totals end (the losses' working room after them holds none).
    let familiesAt: (sums: Int, counts: Int)
    let familiesEnd: (sums: Int, counts: Int)
    /// Per sum slot, the count slot whose chunk count must be nonzero for
    /// the slot to fold, or −1 (`ReliabilityBins.fold`'s empty-bin skip).
    let guards: [Int]
    private(set) var sums: [Double]
    private(set) var compensations: [Double]
    private(set) var counts: [Int]

    /// Zero totals for `replicates` copies of `scalars` and `families` (their layouts; their totals are not read).
    init(replicates: Int, scalars: ScalarTotalsFamily, families: AuditFamilies) {
        self.replicates = replicates
        var layout = ScratchLayout()
        _ = layout.reserve(scalars.scratchLayout)
        familiesAt = layout.reserve(families.scratchLayout)
        // The replicates keep no losses (their terms are not the families' own).
        precondition(families.losses.state == FamilyState(), "replicate families with losses")
        familiesEnd = (familiesAt.sums + families.lossSlots.sums, familiesAt.counts + families.lossSlots.counts)
        sumSlots = layout.doubles
        countSlots = layout.counts
        var guards = [Int](repeating: -1, count: layout.doubles)
        for table in families.binTableSlots {
            for b in 0..<table.bins {
                for j in 0..<4 { guards[familiesAt.sums + table.sums + 4 * b + j] = familiesAt.counts + table.counts + b }
            }
        }
        self.guards = guards
        sums = Array(repeating: 0, count: replicates * layout.doubles)
        compensations = sums
        counts = Array(repeating: 0, count: replicates * layout.counts)
    }

    /// Folds one chunk's plain replicate sums in, as each replicate's families
    /// would (`fold(sums:counts:)`): `chunkSums[s · R + r]` and
    /// `chunkCounts[s · R + r]` (whole numbers, as doubles) in this layout.
    mutating func fold(sums chunkSums: UnsafePointer<Double>, counts chunkCounts: UnsafePointer<Double>) {
        let r = replicates
        guards.withUnsafeBufferPointer { guards in
        sums.withUnsafeMutableBufferPointer { sums in
        compensations.withUnsafeMutableBufferPointer { compensations in
            for slot in 0..<sumSlots {
                let at = slot &* r, guardSlot = guards[slot]
                calib_fold_sums(sums.baseAddress! + at, compensations.baseAddress! + at, chunkSums + at,
                                guardSlot < 0 ? nil : chunkCounts + guardSlot &* r, r)
            }
        }
        }
        }
        counts.withUnsafeMutableBufferPointer { counts in
            for i in 0..<counts.count { counts[i] &+= Int(chunkCounts[i]) }
        }
    }

    /// Adds another part's totals, each slot as `CompensatedSum.merge` and
    /// counts as `+` (merge in input order).
    mutating func merge(_ other: ReplicateTotals) {
        precondition(other.replicates == replicates && other.sumSlots == sumSlots && other.countSlots == countSlots,
                     "merging replicate totals of different layouts")
        other.sums.withUnsafeBufferPointer { otherSums in
        other.compensations.withUnsafeBufferPointer { otherCompensations in
        sums.withUnsafeMutableBufferPointer { sums in
        compensations.withUnsafeMutableBufferPointer { compensations in
            for i in 0..<sums.count {
                var total = CompensatedSum()
                total.sum = sums[i]; total.compensation = compensations[i]
                var part = CompensatedSum()
                part.sum = otherSums[i]; part.compensation = otherCompensations[i]
                total.merge(part)
                sums[i] = total.sum; compensations[i] = total.compensation
            }
        }
        }
        }
        }
        counts.withUnsafeMutableBufferPointer { counts in
            other.counts.withUnsafeBufferPointer { otherCounts in
                for i in 0..<counts.count { counts[i] &+= otherCounts[i] }
            }
        }
    }

    /// Replicate `r`'s slots `sums` and `counts` as a family state: counts in
    /// slot order, each sum as its two parts in slot order (the layout every
    /// family's `state` documents, as its scratch slots are laid out).
    private func state(_ r: Int, sums sumRange: Range<Int>, counts countRange: Range<Int>) -> FamilyState {
        var state = FamilyState()
        state.doubles.reserveCapacity(2 * sumRange.count)
        for slot in sumRange {
            state.doubles.append(sums[slot * replicates + r])
            state.doubles.append(compensations[slot * replicates + r])
        }
        state.counts = countRange.map { counts[$0 * replicates + r] }
        return state
    }

    /// Writes `state` (laid out as `state(_:sums:counts:)` reads) into replicate `r`'s slots.
    private mutating func write(_ state: FamilyState, _ r: Int, sums sumRange: Range<Int>, counts countRange: Range<Int>) {
        precondition(state.doubles.count == 2 * sumRange.count && state.counts.count == countRange.count,
                     "a family state of another layout")
        for (i, slot) in sumRange.enumerated() {
            sums[slot * replicates + r] = state.doubles[2 * i]
            compensations[slot * replicates + r] = state.doubles[2 * i + 1]
        }
        for (i, slot) in countRange.enumerated() { counts[slot * replicates + r] = state.counts[i] }
    }

    private var scalarSlots: (sums: Range<Int>, counts: Range<Int>) { (0..<familiesAt.sums, 0..<familiesAt.counts) }
    private var familySlots: (sums: Range<Int>, counts: Range<Int>) { (familiesAt.sums..<familiesEnd.sums, familiesAt.counts..<familiesEnd.counts) }

    /// Replicate `r`'s scalar totals: `template` (its settings) with the replicate's totals.
    func scalars(_ r: Int, template: ScalarTotalsFamily) -> ScalarTotalsFamily {
        Self.restored(template, state(r, sums: scalarSlots.sums, counts: scalarSlots.counts))
    }

    /// Replicate `r`'s families: `template` (its settings) with the replicate's totals.
    func families(_ r: Int, template: AuditFamilies) -> AuditFamilies {
        Self.restored(template, state(r, sums: familySlots.sums, counts: familySlots.counts))
    }

    mutating func setScalars(_ family: ScalarTotalsFamily, _ r: Int) {
        write(family.state, r, sums: scalarSlots.sums, counts: scalarSlots.counts)
    }

    mutating func setFamilies(_ family: AuditFamilies, _ r: Int) {
        write(family.state, r, sums: familySlots.sums, counts: familySlots.counts)
    }

    /// `family` with the totals of a state in its own layout (built by `state(_:sums:counts:)`, so it fits).
    private static func restored<Family: AccumulatorFamily>(_ family: Family, _ state: FamilyState) -> Family {
        do throws(FamilyState.Malformed) {
            return try family.restoring(state)
        } catch {
            preconditionFailure("replicate totals that do not fit their family: \(error)")
        }
    }
}

extension ReplicateTotals {
    /// Empty totals of no replicates: what a `BootstrapReplicates` holds while its totals are lent to a view.
    static let placeholder = ReplicateTotals(replicates: 0, scalars: ScalarTotalsFamily(confidentAt: 0),
                                             families: AuditFamilies(classCount: 2, settings: AuditSettings(), losses: []))
}

/// A family the replicates keep in `ReplicateTotals`: how replicate `r`'s copy is read and written.
protocol ReplicatedFamily: AccumulatorFamily {
    static func read(_ totals: ReplicateTotals, _ r: Int, template: Self) -> Self
    static func write(_ family: Self, to totals: inout ReplicateTotals, _ r: Int)
}

extension ScalarTotalsFamily: ReplicatedFamily {
    static func read(_ totals: ReplicateTotals, _ r: Int, template: Self) -> Self { totals.scalars(r, template: template) }
    static func write(_ family: Self, to totals: inout ReplicateTotals, _ r: Int) { totals.setScalars(family, r) }
}

extension AuditFamilies: ReplicatedFamily {
    static func read(_ totals: ReplicateTotals, _ r: Int, template: Self) -> Self { totals.families(r, template: template) }
    static func write(_ family: Self, to totals: inout ReplicateTotals, _ r: Int) { totals.setFamilies(family, r) }
}

/// The replicates' copies of one family, `view[r]` read from the flat totals
/// (and written back to them), as an array of families would be.
struct ReplicateFamilies<Family: ReplicatedFamily>: Sendable {
    var totals: ReplicateTotals
    let template: Family

    var count: Int { totals.replicates }

    subscript(r: Int) -> Family {
        get { Family.read(totals, r, template: template) }
        set { Family.write(newValue, to: &totals, r) }
    }
}
