/// Which header column plays which role, and what the classes are, settled
/// from the header and the options before any row is read.
struct ColumnRoles: Sendable {
    var label: Int
    /// Score columns in class order (binary single-score: one column).
    var scores: [Int]
    var weight: Int?
    var id: Int?
    var group: Int?
    var scoreKind: ScoreKindChoice
    /// Class names known from the header or `--classes` (nil for a binary
    /// score column that names no class: the labels settle them).
    var classNames: [String]?
    /// For two per-class columns read as a binary task: the index (into
    /// `scores`) of the positive column.
    var positiveColumn: Int?
    /// For one binary score column: the positive class's name when known up front.
    var positiveName: String?
    /// How the positive class was chosen, when the header and options settle it.
    var positiveReason: String?

    enum ScoreKindChoice: Sendable { case probabilities, logits }

    static let labelNames = ["label", "y", "y_true", "target", "class", "actual"]
    static let binaryScoreNames = ["prob", "probability", "p", "score", "y_prob", "y_score", "pred", "prediction"]
    static let classPrefixes = ["p_", "prob_", "proba_", "logit_"]
    static let weightNames = ["weight", "sample_weight"]
    static let idNames = ["id", "row_id"]

    /// The known binary label pairs, `(negative, positive)`.
    static let knownPairs: [(String, String)] = [
        ("0", "1"), ("false", "true"), ("no", "yes"), ("neg", "pos"), ("negative", "positive"),
    ]

    init(header: [String], options: ReadOptions, file: String) throws {
        let lowered = header.map { $0.lowercased() }
        func usage(_ reason: String) -> InputError { InputError(.usage, file: file, reason: reason) }
        func missing(_ reason: String) -> InputError { InputError(.data, file: file, line: 1, reason: reason) }
        let columnList = "columns: \(InputError.list(header))"
        var seen: Set<String> = []
        for name in lowered where !name.isEmpty {
            guard seen.insert(name).inserted else {
                let shown = header[lowered.lastIndex(of: name)!]
                throw missing("column '\(shown)' appears twice in the header; column names must be unique (compared without case)")
            }
        }

        func find(_ name: String, flag: String) throws -> Int {
            let exact = header.indices.filter { header[$0] == name }
            let folded = exact.isEmpty ? lowered.indices.filter { lowered[$0] == name.lowercased() } : exact
            if folded.count > 1 {
                throw missing("column '\(name)' appears \(folded.count) times in the header; column names must be unique")
            }
            guard let index = folded.first else {
                throw missing("no column '\(name)' (given by \(flag)); \(columnList)")
            }
            return index
        }
        func detect(_ names: [String], role: String, flag: String, required: Bool) throws -> Int? {
            let hits = lowered.indices.filter { names.contains(lowered[$0]) }
            if hits.count > 1 {
                throw usage("several columns could be the \(role) (\(InputError.list(hits.map { header[$0] }))); choose one with \(flag)")
            }
            if hits.isEmpty && required {
                throw missing("no \(role) column: none of \(InputError.list(names)) is in the header; name it with \(flag) (\(columnList))")
            }
            return hits.first
        }

        // Label.
        if let name = options.label {
            label = try find(name, flag: "--label")
        } else {
            label = try detect(Self.labelNames, role: "label", flag: "--label COL", required: true)!
        }

        // Scores.
        var logits = options.logits
        var names: [String]
        if let given = options.scoreColumns {
            guard !given.isEmpty else { throw usage("--prob needs at least one column name") }
            scores = try given.map { try find($0, flag: "--prob") }
            if Set(scores).count != scores.count { throw usage("--prob names the same column twice") }
        } else {
            let labelColumn = label
            var families: [(prefix: String, columns: [Int])] = []
            for prefix in Self.classPrefixes {
                let columns = lowered.indices.filter { $0 != labelColumn && lowered[$0].hasPrefix(prefix) && lowered[$0].count > prefix.count }
                if !columns.isEmpty { families.append((prefix, columns)) }
            }
            let single = lowered.indices.filter { $0 != labelColumn && (Self.binaryScoreNames + ["logit"]).contains(lowered[$0]) }
            let candidates = families.count + (single.isEmpty ? 0 : 1)
            if candidates > 1 || single.count > 1 {
                let all = families.flatMap(\.columns) + single
                throw usage("cannot tell which columns hold the scores (\(InputError.list(all.map { header[$0] }))); name them with --prob COL[,COL…]")
            }
            if let family = families.first {
                scores = family.columns
                if family.prefix == "logit_" { logits = true }
            } else if let column = single.first {
                scores = [column]
                if lowered[column] == "logit" { logits = true }
            } else {
                throw missing("no score column: expected one of \(InputError.list(Self.binaryScoreNames + ["logit"])) or per-class columns p_<class>, prob_<class>, proba_<class>, logit_<class>; name them with --prob (\(columnList))")
            }
        }
        if scores.contains(label) { throw usage("the label column cannot also be a score column") }
        names = scores.map { Self.className(fromColumn: header[$0]) }
        if scores.allSatisfy({ lowered[$0].hasPrefix("logit") }) { logits = true }
        scoreKind = logits ? .logits : .probabilities

        // Optional columns.
        weight = try options.weight.map { try find($0, flag: "--weight") }
            ?? detect(Self.weightNames, role: "sample weight", flag: "--weight COL", required: false)
        id = try options.id.map { try find($0, flag: "--id") }
            ?? detect(Self.idNames, role: "row id", flag: "--id COL", required: false)
        if let weight, weight == label || scores.contains(weight) { throw usage("the weight column cannot also be a label or score column") }
        group = try options.group.map { try find($0, flag: "--group") }
        if let group, group == label || scores.contains(group) { throw usage("the group column cannot also be a label or score column") }

        // Classes.
        if scores.count == 1 {
            let named = Self.prefixedClassName(header[scores[0]])
            if let classes = options.classes {
                guard classes.count == 2 else {
                    throw usage("--classes lists \(classes.count) classes, but one score column means a binary task (two classes)")
                }
                let positive = options.positive ?? named ?? classes[1]
                guard classes.contains(positive) else {
                    throw usage("the positive class '\(positive)' is not one of --classes (\(InputError.list(classes)))")
                }
                classNames = positive == classes[0] ? [classes[1], classes[0]] : classes
                positiveReason = options.positive != nil ? "named by --positive \(positive)"
                    : named != nil ? "named by the score column '\(header[scores[0]])'" : "the second class of --classes"
            } else {
                classNames = nil
                if let given = options.positive {
                    positiveReason = "named by --positive \(given)"
                } else if named != nil {
                    positiveReason = "named by the score column '\(header[scores[0]])'"
                }
            }
            positiveName = options.positive ?? named
        } else {
            if let classes = options.classes {
                guard classes.count == scores.count else {
                    throw usage("--classes lists \(classes.count) classes for \(scores.count) score columns")
                }
                names = classes
            }
            if Set(names).count != names.count {
                throw usage("two score columns name the same class (\(InputError.list(names)))")
            }
            if scores.count == 2 {
                let positive: String
                if let given = options.positive {
                    guard names.contains(given) else {
                        throw usage("the positive class '\(given)' is not one of the classes (\(InputError.list(names)))")
                    }
                    positive = given
                    positiveReason = "named by --positive \(given)"
                } else if let pair = Self.knownPair(names[0], names[1]) {
                    positive = pair.positive
                    positiveReason = "the second of the known pair \(pair.negative)/\(pair.positive)"
                } else {
                    throw usage("two classes (\(InputError.list(names))) and no way to tell which is positive; name it with --positive CLASS")
                }
                let p = names.firstIndex(of: positive)!
                positiveColumn = p
                classNames = [names[1 - p], names[p]]
            } else {
                if let given = options.positive {
                    throw usage("--positive '\(given)' applies to binary tasks; this file has \(names.count) classes")
                }
                classNames = names
            }
        }
    }

    /// The class a score column names: `p_fraud` → `fraud`; any other name is taken whole.
    static func className(fromColumn column: String) -> String {
        prefixedClassName(column) ?? column
    }

    static func prefixedClassName(_ column: String) -> String? {
        let lowered = column.lowercased()
        for prefix in classPrefixes where lowered.hasPrefix(prefix) && lowered.count > prefix.count {
            return String(column.dropFirst(prefix.count))
        }
        return nil
    }

    /// If `a` and `b` form a known pair (either order, case-insensitive), the positive one.
    static func knownPair(_ a: String, _ b: String) -> (negative: String, positive: String)? {
        for (neg, pos) in knownPairs {
            if a.lowercased() == neg && b.lowercased() == pos { return (a, b) }
            if b.lowercased() == neg && a.lowercased() == pos { return (b, a) }
        }
        return nil
    }
}
