/// A ``MultiLabelAccumulator`` in the partial-state format (SPEC section 14):
/// the label count, each label's ``AuditAccumulator`` (its score store and
/// bootstrap replicates included), the pooled accumulator of the micro
/// averages, and the subset accuracy's two compensated sums (running value
/// and compensation, as bit patterns). Read back, it merges and finishes
/// exactly as the one written would.
extension MultiLabelAccumulator {
    /// Writes this accumulator; ``init(readingPartial:)`` reads it back.
    public func writePartial(_ w: inout PartialWriter) {
        w.int(labelCount)
        for label in perLabel { label.writePartial(&w) }
        pooled.writePartial(&w)
        for sum in [exactWeight, totalWeight] {
            w.double(sum.sum)
            w.double(sum.compensation)
        }
    }

    /// The accumulator ``writePartial(_:)`` wrote. Throws
    /// ``PartialStateFormat/Problem/malformed(_:)`` when a label's audit is
    /// not binary, the labels' settings differ, or the pooled audit does
    /// not hold `labels × rows` pairs.
    public init(readingPartial r: inout PartialReader) throws(PartialStateFormat.Problem) {
        let count = try r.int()
        guard count >= 1 && count <= AuditAccumulator.partialLimits.classes else { throw .malformed("\(count) labels") }
        var perLabel: [AuditAccumulator] = []
        for _ in 0..<count {
            let label = try AuditAccumulator(readingPartial: &r)
            guard label.shape.classCount == 2, !label.shape.hasSoftTargets,
                  perLabel.first.map({ $0.partialMismatch(with: label) == nil && $0.count == label.count }) ?? true else {
                throw .malformed("label \(perLabel.count + 1)'s audit does not fit the first label's")
            }
            perLabel.append(label)
        }
        let pooled = try AuditAccumulator(readingPartial: &r)
        let pairs = count.multipliedReportingOverflow(by: perLabel[0].count)
        guard pooled.mismatch(with: perLabel[0]) == nil, !pairs.overflow, pooled.count == pairs.partialValue else {
            throw .malformed("the pooled audit does not fit the labels' audits")
        }
        var sums: [CompensatedSum] = []
        for _ in 0..<2 {
            var sum = CompensatedSum()
            sum.sum = try r.double()
            sum.compensation = try r.double()
            sums.append(sum)
        }
        self.init(settings: perLabel[0].settings, perLabel: perLabel, pooled: pooled, exactWeight: sums[0], totalWeight: sums[1])
    }

    /// The first difference that keeps `other` from merging into this
    /// accumulator: the label count, then ``AuditAccumulator/partialMismatch(with:)``
    /// of the labels' audits and of the pooled ones.
    public func partialMismatch(with other: MultiLabelAccumulator) -> MergeMismatch? {
        if labelCount != other.labelCount { return .setting(name: "labels", expected: "\(labelCount)", found: "\(other.labelCount)") }
        return perLabel[0].partialMismatch(with: other.perLabel[0]) ?? pooled.partialMismatch(with: other.pooled)
    }
}
