/// The columns of a multi-label file (`--multilabel`, SPEC section 13): per
/// label one target column `y_<label>` and one score column `p_<label>` (a
/// probability) or `logit_<label>` (a logit: `--logits` is implied), matched by
/// the label name without case; labels in the order of their `y_` columns.
struct MultiLabelColumns: Sendable, Hashable {
    /// Label names as the `y_` columns spell them.
    let names: [String]
    /// Each label's target column.
    let targets: [Int]
    /// Each label's score column.
    let scores: [Int]

    static let targetPrefix = "y_"
    static let scorePrefixes = ["p_", "logit_"]

    /// The label names of a header's `y_<l>` columns that have a `p_<l>` or
    /// `logit_<l>` partner (lowercased names), for the hint that suggests `--multilabel`.
    static func pairedLabels(_ lowered: [String]) -> [String] {
        lowered.compactMap { name in
            guard name.hasPrefix(targetPrefix), name.count > targetPrefix.count else { return nil }
            let label = String(name.dropFirst(targetPrefix.count))
            return scorePrefixes.contains { lowered.contains($0 + label) } ? label : nil
        }
    }

    /// The label a target spelling stands for: `0`/`1`, or `false`/`true`
    /// (any case, as JSON Lines booleans and pandas' bool columns write them);
    /// `nil` for anything else.
    static func target(_ field: UnsafeBufferPointer<UInt8>) -> Int32? {
        if field.count == 1 {
            if field[0] == UInt8(ascii: "0") { return 0 }
            if field[0] == UInt8(ascii: "1") { return 1 }
            return nil
        }
        guard field.count == 4 || field.count == 5 else { return nil }
        let lowered = field.map { $0 | 0x20 }
        if lowered.elementsEqual("true".utf8) { return 1 }
        if lowered.elementsEqual("false".utf8) { return 0 }
        return nil
    }
}

extension ColumnRoles {
    /// The roles of a multi-label header: every `y_<l>` column needs its
    /// `p_<l>` or `logit_<l>` column and every such score column its `y_<l>`
    /// (else a usage error naming the column); `--logits` or `logit_` columns
    /// make every score a logit (mixing `p_` and `logit_` is an error).
    /// Weight and id columns are detected as usual. The rows travel through
    /// the block pipeline as a carrier table of `2L + 1` "classes": the
    /// scores slots hold the L targets, then the L scores (the last slot is unused).
    init(multiLabelHeader header: [String], options: ReadOptions, file: String) throws {
        let lowered = header.map { $0.lowercased() }
        func usage(_ reason: String, hint: String? = nil) -> InputError { InputError(.usage, file: file, reason: reason, hint: hint) }
        var seen: Set<String> = []
        for name in lowered where !name.isEmpty {
            guard seen.insert(name).inserted else {
                throw InputError(.data, file: file, line: 1, reason: "column \(InputError.name(header[lowered.lastIndex(of: name)!])) appears twice in the header; column names must be unique (compared without case)")
            }
        }
        for (flag, given) in [("--label", options.label), ("--prob", options.scoreColumns?.joined(separator: ",")), ("--classes", options.classes?.joined(separator: ",")),
                              ("--positive", options.positive), ("--group", options.group)] where given != nil {
            throw usage("\(flag) does not apply to --multilabel: the labels are the y_<label> columns, their scores the p_<label> or logit_<label> columns")
        }
        var names: [String] = [], targets: [Int] = [], scores: [Int] = []
        var kinds: Set<String> = []
        for (column, name) in lowered.enumerated() where name.hasPrefix(MultiLabelColumns.targetPrefix) && name.count > MultiLabelColumns.targetPrefix.count {
            let label = String(name.dropFirst(MultiLabelColumns.targetPrefix.count))
            guard let prefix = MultiLabelColumns.scorePrefixes.first(where: { lowered.contains($0 + label) }) else {
                throw usage("column \(InputError.name(header[column])) has no score column: add \(InputError.name("p_" + String(header[column].dropFirst(2)))) (or logit_…), or drop the column",
                            hint: "each label needs a y_<label> column (0/1) and a p_<label> or logit_<label> column")
            }
            kinds.insert(prefix)
            names.append(String(header[column].dropFirst(MultiLabelColumns.targetPrefix.count)))
            targets.append(column)
            scores.append(lowered.firstIndex(of: prefix + label)!)
        }
        for (column, name) in lowered.enumerated() {
            guard let prefix = MultiLabelColumns.scorePrefixes.first(where: { name.hasPrefix($0) && name.count > $0.count }) else { continue }
            if !scores.contains(column) {
                throw usage("column \(InputError.name(header[column])) has no target column: add \(InputError.name("y_" + String(header[column].dropFirst(prefix.count)))) (0/1), or drop the column",
                            hint: "each label needs a y_<label> column (0/1) and a p_<label> or logit_<label> column")
            }
        }
        guard !names.isEmpty else {
            throw InputError(.data, file: file, line: 1, reason: "--multilabel needs y_<label> and p_<label> (or logit_<label>) columns; the header's columns: \(InputError.list(header))")
        }
        if kinds.count > 1 { throw usage("some labels have p_ columns and others logit_ columns; give every label's scores in one kind") }
        func find(_ name: String, flag: String) throws -> Int {
            let hits = lowered.indices.filter { lowered[$0] == name.lowercased() }
            guard let hit = hits.first else {
                throw InputError(.data, file: file, line: 1, reason: "no column \(InputError.name(name)) (given by \(flag)); the header's columns: \(InputError.list(header))")
            }
            return hit
        }
        func detect(_ candidates: [String], role: String, flag: String) throws -> Int? {
            let hits = lowered.indices.filter { candidates.contains(lowered[$0]) }
            if hits.count > 1 { throw usage("several columns could be the \(role) (\(InputError.list(hits.map { header[$0] }))); choose one with \(flag)") }
            return hits.first
        }
        let weight = try options.weight.map { try find($0, flag: "--weight") } ?? detect(Self.weightNames, role: "sample weight", flag: "--weight COL")
        let id = try options.id.map { try find($0, flag: "--id") } ?? detect(Self.idNames, role: "row id", flag: "--id COL")
        if let weight, targets.contains(weight) || scores.contains(weight) { throw usage("the weight column cannot also be a label or score column") }
        label = targets[0]
        self.scores = targets + scores
        self.weight = weight
        self.id = id
        group = nil
        scoreKind = options.logits || kinds.contains("logit_") ? .logits : .probabilities
        // The carrier table's classes (never shown): one more than the slots, so it is multiclass-shaped.
        classNames = (0...(2 * names.count)).map { "slot\($0)" }
        positiveColumn = nil
        positiveName = nil
        positiveReason = nil
        multiLabel = MultiLabelColumns(names: names, targets: targets, scores: scores)
    }
}

extension RowDecoder {
    /// Checks one multi-label record and keeps it in the carrier rows: the
    /// targets (0/1, or false/true) then the scores (probabilities in [0, 1],
    /// or finite logits), then the weight, id. Each problem names the line,
    /// the column and the value, and is skippable with `--on-invalid skip`.
    mutating func decodeMultiLabel(_ record: borrowing Record, _ columns: MultiLabelColumns, into kept: DecodedRows) throws {
        let rowScores = kept.nextScores
        let line = record.line
        let hint = "a y_<label> column holds 0 or 1 (false or true); a p_<label> column a probability in [0, 1] (pass --logits for logits); pass --on-invalid skip to skip invalid rows"
        func reject(_ problem: RowProblem, column: Int?, value: String?) throws {
            let error = InputError(file: file, line: line, column: column.map { header[$0] }, value: value, problem: problem, hint: hint)
            guard options.onInvalid == .skip else { throw error }
            skipped.record(problem, error: error)
        }
        guard record.fieldCount == header.count else {
            return try reject(.fieldCount(expected: header.count, found: record.fieldCount), column: nil, value: nil)
        }
        let k = columns.names.count
        for l in 0..<k {
            let column = columns.targets[l]
            if record.isEmpty(column) { return try reject(.emptyLabel, column: column, value: "") }
            guard let target = record.withField(column, { MultiLabelColumns.target($0) }) else {
                return try reject(record.containsNUL(column) ? .nulByte : .unknownLabel(classes: ["0", "1"]), column: column, value: record.string(column))
            }
            rowScores[l] = Double(target)
        }
        let isProbability = roles.scoreKind == .probabilities
        for l in 0..<k {
            let column = columns.scores[l]
            let outcome = record.withField(column) { DecimalParser.parse($0) }
            guard case let .value(v) = outcome else {
                if record.containsNUL(column) { return try reject(.nulByte, column: column, value: record.string(column)) }
                switch outcome {
                case .empty: return try reject(.missingValue, column: column, value: record.string(column))
                case .notFinite: return try reject(.notFinite, column: column, value: record.string(column))
                default: return try reject(.notANumber, column: column, value: record.string(column))
                }
            }
            if isProbability && !(v >= 0 && v <= 1) {
                return try reject(.probabilityOutOfRange, column: column, value: record.string(column))
            }
            rowScores[k + l] = v
        }
        rowScores[2 * k] = 0
        var weight = 1.0
        if let column = roles.weight {
            switch record.withField(column, { DecimalParser.parse($0) }) {
            case let .value(v):
                guard v >= 0 else { return try reject(.negativeWeight, column: column, value: record.string(column)) }
                weight = v
            case .empty: return try reject(.missingValue, column: column, value: record.string(column))
            case .notANumber: return try reject(record.containsNUL(column) ? .nulByte : .notANumber, column: column, value: record.string(column))
            case .notFinite: return try reject(.negativeWeight, column: column, value: record.string(column))
            }
        }
        var id: String?
        if let column = roles.id {
            guard let text = record.textWithoutNUL(column) else {
                return try reject(record.containsNUL(column) ? .nulByte : .invalidUTF8, column: column, value: record.string(column))
            }
            id = text
        }
        kept.commit(label: 0, weight: weight, line: line, id: id, group: nil)
        rows += 1
    }
}
