/// Turns label text into a class index.
///
/// A label matches a class only by that class's spelling: never by its
/// numeric value (`1.0`, `1e0`, `+1`, `01`, `0x1` and `1e300` are not class
/// `1`, and no label is ever converted to a number). With the classes known up
/// front (multiclass, two per-class columns, or `--classes`), a label matches
/// a name exactly, else case-insensitively when that picks one class only
/// (`Fraud` is `fraud` unless `FRAUD` is a class too), else, only with
/// `--classes`, as a 0-based index written in plain digits (`0`, `1`, … with no
/// sign or leading zero). A JSON Lines number keeps its text, so the number
/// `1` and the string `"1"` are both class `1`, while `1.0` is not.
///
/// For one binary score column the classes are settled by the labels as they
/// stream past: the positive class comes from `--positive` or the column name
/// (matched exactly or case-insensitively), else from the first label's known
/// pair (`0/1`, `false/true`, …, spelled exactly, case-insensitively for
/// words), whose second is positive.
struct LabelResolver: Sendable {
    private enum Mode {
        case fixed
        case binaryWithPositive(String)
        case binaryUndecided
        case binaryPair(negative: String, positive: String)
    }

    private var mode: Mode
    private var names: [String]
    private var byName: [String: Int] = [:]
    private var byFoldedName: [String: Int] = [:]
    private var allowIndices = false
    /// The spellings seen for binary classes `[negative, positive]`.
    private var seen: [String?] = [nil, nil]
    /// How the positive class was chosen, for the reports.
    private(set) var positiveReason: String?
    /// A frozen resolver (a worker's copy) never changes what it knows: a label
    /// that would teach it something is ``Resolution/needsOrder``, and the block
    /// is decoded again in input order.
    var frozen = false

    /// Whether every spelling the input can still bring is already decided.
    var isSettled: Bool {
        switch mode {
        case .fixed: true
        case .binaryWithPositive: seen[0] != nil
        case .binaryUndecided: false
        case .binaryPair: seen[0] != nil && seen[1] != nil
        }
    }

    init(roles: ColumnRoles, options: ReadOptions) {
        positiveReason = roles.positiveReason
        if let classes = roles.classNames {
            mode = .fixed
            names = classes
            allowIndices = options.classes != nil
        } else if let positive = roles.positiveName {
            mode = .binaryWithPositive(positive)
            names = ["", positive]
        } else {
            mode = .binaryUndecided
            names = ["", ""]
        }
        for (i, name) in names.enumerated() where !name.isEmpty {
            byName[name] = i
            byFoldedName[name.lowercased()] = byFoldedName[name.lowercased()] == nil ? i : -1
        }
    }

    /// The class names in index order; a binary negative class never seen is `not <positive>`.
    var classNames: [String] {
        switch mode {
        case .fixed: return names
        case let .binaryWithPositive(positive): return [seen[0] ?? "not \(positive)", positive]
        case .binaryUndecided: return ["negative", "positive"]
        case let .binaryPair(negative, positive): return [seen[0] ?? negative, seen[1] ?? positive]
        }
    }

    enum Resolution {
        case index(Int)
        case problem(RowProblem)
        /// Only a frozen resolver: this label must be resolved in input order.
        case needsOrder
    }

    /// Resolves one non-empty label. Throws a usage error when a binary
    /// file's labels leave the positive class undecidable.
    mutating func resolve(_ label: String, file: String, line: Int) throws -> Resolution {
        switch mode {
        case .fixed:
            if let i = byName[label] { return .index(i) }
            if let i = byFoldedName[label.lowercased()], i >= 0 { return .index(i) }
            if allowIndices, let i = Self.plainIndex(label), i < names.count { return .index(i) }
            return .problem(.unknownLabel(classes: names))
        case let .binaryWithPositive(positive):
            if label == positive || label.lowercased() == positive.lowercased() { return .index(1) }
            if let negative = seen[0] {
                if label == negative { return .index(0) }
                return .problem(.unknownLabel(classes: [negative, positive]))
            }
            if frozen { return .needsOrder }
            seen[0] = label
            return .index(0)
        case .binaryUndecided:
            if frozen { return .needsOrder }
            let key = Self.pairKey(label)
            guard let pair = ColumnRoles.knownPairs.first(where: { $0.0 == key || $0.1 == key }) else {
                throw InputError(.usage, file: file, line: line,
                    reason: "cannot tell the positive class from the label \(InputError.quoted(label)): it is not in a known pair (0/1, false/true, no/yes, neg/pos, negative/positive); name it with --positive CLASS, since guessing wrong would invert every metric")
            }
            mode = .binaryPair(negative: pair.0, positive: pair.1)
            positiveReason = "the second of the known pair \(pair.0)/\(pair.1)"
            return try resolve(label, file: file, line: line)
        case let .binaryPair(negative, positive):
            let key = Self.pairKey(label)
            if key == positive {
                if seen[1] == nil { if frozen { return .needsOrder }; seen[1] = label }
                return .index(1)
            }
            if key == negative {
                if seen[0] == nil { if frozen { return .needsOrder }; seen[0] = label }
                return .index(0)
            }
            return .problem(.unknownLabel(classes: classNames))
        }
    }

    /// The label as a known pair spells it: ASCII letters lowercased, nothing
    /// else changed (`TRUE` is `true`; `1.0` stays `1.0`, so it is not `1`).
    static func pairKey(_ label: String) -> String {
        String(decoding: label.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
    }

    /// A 0-based index written in plain ASCII digits with no sign and no leading
    /// zero (`0`, `7`, `12`), or nil (`+1`, `01`, `1.0`, or more than 9 digits).
    static func plainIndex(_ label: String) -> Int? {
        let digits = label.utf8
        guard !digits.isEmpty, digits.count <= 9, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        if digits.count > 1 && digits.first == 0x30 { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}
