public import CalibCore

/// One part of a distributed multi-label audit (`calib audit --multilabel
/// --partial-out`, SPEC sections 13 and 14): the unfinished
/// ``MultiLabelAccumulator`` (every label's audit with its score store and
/// bootstrap replicates, the pooled audit, the subset accuracy's sums), the
/// input's summary (source, format, rows, skipped rows, label names and
/// columns) and the tool version, in the ``PartialStateFormat`` container.
///
/// Sections: `tool`, `row-offset` (as in ``PartialPart``), `multilabel-input`
/// (the summary) and `multilabel` (the accumulator). A part holds either
/// `audit` or `multilabel`; ``AnyPartialPart`` tells them apart.
///
/// Merging (``merge(_:)``) adds another part after this one; parts whose
/// settings, labels, score kind or columns differ are refused with the first
/// difference (exit 64).
public struct MultiLabelPart: MergeablePart {
    public var tool: String
    public var rowOffset: Int
    public var audit: MultiLabelAudit.Accumulated

    public init(tool: String, rowOffset: Int, audit: MultiLabelAudit.Accumulated) {
        self.tool = tool
        self.rowOffset = rowOffset
        self.audit = audit
    }

    /// The part's bytes, its arrays where they lie (``PartialPart/encodedPart()``).
    public func encodedPart() -> EncodedPart {
        var body = PartialStateFormat.begin()
        PartialPart.reserve(audit.total.perLabel.reduce(audit.total.pooled.stateBytes) { $0 + $1.stateBytes }, in: &body)
        PartialPart.writeStamp(of: self, into: &body)
        body.section("multilabel-input") { Self.write(audit.input, &$0) }
        body.section("multilabel") { audit.total.writePartial(&$0) }
        return PartialStateFormat.sealed(body)
    }

    /// The part that `sections` (of a container already checked) hold.
    init(sections: [String: PartialReader]) throws(PartialStateFormat.Problem) {
        func section(_ name: String) throws(PartialStateFormat.Problem) -> PartialReader { try PartialPart.section(name, of: sections) }
        (tool, rowOffset) = try PartialPart.readStamp(sections)
        var r = try section("multilabel-input")
        let input = try Self.readInput(&r)
        try r.requireEnd("the multilabel-input section")
        r = try section("multilabel")
        let total = try MultiLabelAccumulator(readingPartial: &r)
        try r.requireEnd("the multilabel section")
        guard total.labelCount == input.labels.count, total.count == input.rows,
              total.perLabel[0].shape.scoreKind == input.scoreKind else {
            throw .malformed("the audit does not fit the input's labels or rows")
        }
        audit = MultiLabelAudit.Accumulated(total: total, input: input)
    }

    /// The first way `other` (named `otherName`) differs from this part
    /// (named `name`) in what it sums: the calib version, labels, columns,
    /// settings. A usage error (exit 64) naming both parts and the difference.
    public func mismatch(with other: MultiLabelPart, name: String, otherName: String) -> InputError? {
        let refuse = PartialPart.refusal(name: name, otherName: otherName)
        if tool != other.tool { return refuse("the calib version", tool, other.tool) }
        let a = audit.input, b = other.audit.input
        let fields: [(String, String?, String?)] = [
            ("labels", "[\(a.labels.joined(separator: ", "))]", "[\(b.labels.joined(separator: ", "))]"),
            ("label columns", a.targetColumns.joined(separator: ","), b.targetColumns.joined(separator: ",")),
            ("score columns", a.scoreColumns.joined(separator: ","), b.scoreColumns.joined(separator: ",")),
            ("weight column", a.weightColumn, b.weightColumn),
            ("id column", a.idColumn, b.idColumn),
        ]
        if let (what, mine, theirs) = fields.first(where: { $0.1 != $0.2 }) { return refuse(what, mine ?? "none", theirs ?? "none") }
        return audit.total.partialMismatch(with: other.audit.total).map { PartialPart.refusal($0, refuse) }
    }

    /// Adds `other`'s rows after this part's (check ``mismatch(with:name:otherName:)`` first).
    public mutating func merge(_ other: MultiLabelPart) {
        var other = other
        audit.total.attributeWorstRows(to: audit.input.source)
        other.audit.total.attributeWorstRows(to: other.audit.input.source)
        audit.total.merge(other.audit.total)
        let a = audit.input, b = other.audit.input
        var skipped = a.skipped
        skipped.merge(b.skipped)
        audit.input = MultiLabelInputSummary(
            source: PartialPart.mergedSource(a.source, b.source), format: a.format, rows: a.rows + b.rows, skipped: skipped, labels: a.labels,
            targetColumns: a.targetColumns, scoreColumns: a.scoreColumns, scoreKind: a.scoreKind, weightColumn: a.weightColumn, idColumn: a.idColumn)
    }

    static func write(_ input: MultiLabelInputSummary, _ w: inout PartialWriter) {
        w.string(input.source)
        w.string(input.format.rawValue)
        w.int(input.rows)
        PartialPart.writeSkipped(input.skipped, &w)
        w.strings(input.labels)
        w.strings(input.targetColumns)
        w.strings(input.scoreColumns)
        w.string(input.scoreKind.rawValue)
        w.optionalString(input.weightColumn)
        w.optionalString(input.idColumn)
    }

    static func readInput(_ r: inout PartialReader) throws(PartialStateFormat.Problem) -> MultiLabelInputSummary {
        let source = try r.string()
        guard let format = ReadOptions.Format(rawValue: try r.string()) else { throw .malformed("an unknown input format") }
        let rows = try r.int()
        guard rows >= 1 else { throw .malformed("an input of \(rows) rows") }
        let skipped = try PartialPart.readSkipped(&r)
        let labels = try r.strings(), targets = try r.strings(), scores = try r.strings()
        guard !labels.isEmpty, targets.count == labels.count, scores.count == labels.count else { throw .malformed("the labels and their columns") }
        guard let kind = ScoreKind(rawValue: try r.string()) else { throw .malformed("an unknown score kind") }
        return MultiLabelInputSummary(source: source, format: format, rows: rows, skipped: skipped, labels: labels, targetColumns: targets,
                                      scoreColumns: scores, scoreKind: kind, weightColumn: try r.optionalString(), idColumn: try r.optionalString())
    }
}

/// What `calib merge` does with a part of either kind: check that another
/// part may follow it, add that part's rows after its own, and write the result.
public protocol MergeablePart: Sendable {
    /// The calib version that wrote the part (a merge is stamped with its own).
    var tool: String { get set }
    /// The `--row-offset` the part was audited with (informative; 0 once merged).
    var rowOffset: Int { get set }
    /// The first way `other` differs from this part in what it sums, as a usage error naming both.
    func mismatch(with other: Self, name: String, otherName: String) -> InputError?
    /// Adds `other`'s rows after this part's.
    mutating func merge(_ other: Self)
    /// The part's bytes, its large arrays where they lie.
    func encodedPart() -> EncodedPart
}

extension MergeablePart {
    /// The part's bytes in one array: header, sections, checksum.
    public func encoded() -> [UInt8] { encodedPart().bytes }
}

extension PartialPart: MergeablePart {}

/// A part of either kind, as `calib merge` reads it: a single-label audit's
/// (``PartialPart``, the `audit` section) or a multi-label one's
/// (``MultiLabelPart``, the `multilabel` section).
public enum AnyPartialPart: Sendable {
    case audit(PartialPart)
    case multiLabel(MultiLabelPart)

    /// The part `bytes` hold; `file` names it in the error (exit 65) when
    /// they are not a part, are truncated, corrupted, of a future version, or
    /// hold sections that do not fit together.
    public init(decoding bytes: [UInt8], file: String) throws(InputError) {
        try self.init(decoding: PartialBytes(copying: bytes[...]), file: file)
    }

    /// The part `bytes` hold (a file read by ``PartialFile/read(_:)``, not copied again).
    public init(decoding bytes: PartialBytes, file: String) throws(InputError) {
        do throws(PartialStateFormat.Problem) {
            let sections = try PartialStateFormat.unwrap(bytes)
            self = sections["multilabel"] != nil ? .multiLabel(try MultiLabelPart(sections: sections)) : .audit(try PartialPart(sections: sections))
        } catch {
            throw InputError(.data, file: file, reason: "\(error)", hint: PartialPart.hint(error))
        }
    }

    /// What the part audits, for the refusal of a mix of kinds.
    public var kind: String {
        switch self {
        case .audit: "a single-label audit"
        case .multiLabel: "a multi-label audit (--multilabel)"
        }
    }
}
