/// Turns label text into a class index.
///
/// With the classes known up front (multiclass, two per-class columns, or
/// `--classes`), labels match the names exactly, then case-insensitively,
/// then as 0-based indices when `--classes` was given, then numerically when
/// every class name is an integer (`1.0` is class `1`). For one binary score
/// column the classes are settled by the labels as they stream past: the
/// positive class comes from `--positive` or the column name, else from the
/// first label's known pair (`0/1`, `false/true`, …), whose second is positive.
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
    private var numericNames = false
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
        numericNames = !names.isEmpty && names.allSatisfy { Int($0) != nil }
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
            if allowIndices, let i = Int(label), i >= 0 && i < names.count { return .index(i) }
            if numericNames, let value = Double(label), value.rounded() == value, let i = names.firstIndex(of: String(Int(value))) {
                return .index(i)
            }
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

    /// Lowercased label, with numeric spellings of 0 and 1 (`1.0`, `0e0`) folded to `0`/`1`.
    private static func pairKey(_ label: String) -> String {
        if let value = Double(label), value == 0 || value == 1, label.first.map({ $0.isNumber || $0 == "." || $0 == "+" || $0 == "-" }) == true {
            return value == 0 ? "0" : "1"
        }
        return label.lowercased()
    }
}
