/// Which header column plays which role, and what the classes are, settled
/// from the header and the options before any row is read.
struct ColumnRoles: Sendable {
    /// The label column; `nil` only when the file has soft targets, whose
    /// argmax is then the hard label (SPEC section 13).
    var label: Int?
    /// The soft-target columns (SPEC section 13) in class order: one per
    /// class, or for a binary task possibly one, the positive class's (the
    /// negative's target is then `1 − t`). Empty when the file has none.
    var targets: [Int] = []
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
    /// `--multilabel`: the labels' target and score columns (`MultiLabelColumns.swift`); `nil` otherwise.
    var multiLabel: MultiLabelColumns? = nil

    enum ScoreKindChoice: Sendable { case probabilities, logits }

    static let labelNames = ["label", "y", "y_true", "target", "class", "actual"]
    static let binaryScoreNames = ["prob", "probability", "p", "score", "y_prob", "y_score", "pred", "prediction"]
    static let classPrefixes = ["p_", "prob_", "proba_", "logit_"]
    static let weightNames = ["weight", "sample_weight"]
    static let idNames = ["id", "row_id"]
    /// The prefix of a soft-target column, `t_<class>`.
    static let targetPrefix = "t_"

    /// The known binary label pairs, `(negative, positive)`.
    static let knownPairs: [(String, String)] = [
        ("0", "1"), ("false", "true"), ("no", "yes"), ("neg", "pos"), ("negative", "positive"),
    ]

    /// Settles the roles. Every missing column (a role nothing in the header
    /// plays, or a column a flag names that is not there) is reported at once,
    /// in one data error (exit 65) listing the header's columns, with the flags
    /// to pass as its hint; an ambiguity only a flag can settle is a usage
    /// error (exit 64). `delimiter` is the CSV/TSV field separator (nil for
    /// JSON Lines): a header field holding another likely separator is named in
    /// the hint, with `--delimiter`.
    init(header: [String], options: ReadOptions, file: String, delimiter: UInt8? = nil) throws {
        let lowered = header.map { $0.lowercased() }
        func usage(_ reason: String) -> InputError { InputError(.usage, file: file, reason: reason) }
        func problem(_ reason: String) -> InputError { InputError(.data, file: file, line: 1, reason: reason) }
        var seen: Set<String> = []
        for name in lowered where !name.isEmpty {
            guard seen.insert(name).inserted else {
                let shown = header[lowered.lastIndex(of: name)!]
                throw problem("column \(InputError.name(shown)) appears twice in the header; column names must be unique (compared without case)")
            }
        }

        // What is missing, and which flag names it: reported together at the end.
        var missing: [String] = []
        var flags: [String] = []
        func find(_ name: String, flag: String) throws -> Int? {
            let exact = header.indices.filter { header[$0] == name }
            let folded = exact.isEmpty ? lowered.indices.filter { lowered[$0] == name.lowercased() } : exact
            if folded.count > 1 {
                throw problem("column \(InputError.name(name)) appears \(folded.count) times in the header; column names must be unique")
            }
            if folded.isEmpty {
                missing.append("no column \(InputError.name(name)) (given by \(flag))")
                if !flags.contains("check the spelling of \(flag)") { flags.append("check the spelling of \(flag)") }
            }
            return folded.first
        }
        func detect(_ names: [String], role: String, flag: String) throws -> Int? {
            let hits = lowered.indices.filter { names.contains(lowered[$0]) }
            if hits.count > 1 {
                throw usage("several columns could be the \(role) (\(InputError.list(hits.map { header[$0] }))); choose one with \(flag)")
            }
            return hits.first
        }

        // Label.
        var foundLabel: Int?
        if let name = options.label {
            foundLabel = try find(name, flag: "--label")
        } else {
            foundLabel = try detect(Self.labelNames, role: "label", flag: "--label COL")
            // Soft targets stand in for a missing label (their argmax is the hard label).
            let hasTargets = options.targetColumns != nil
                || lowered.contains { $0.hasPrefix(Self.targetPrefix) && $0.count > Self.targetPrefix.count }
            if foundLabel == nil && !hasTargets {
                missing.append("no label column (none of \(InputError.list(Self.labelNames)))")
                flags.append("name the label column with --label COL")
            }
        }

        // Scores.
        var logits = options.logits
        var names: [String]
        var foundScores: [Int] = []
        if let given = options.scoreColumns {
            guard !given.isEmpty else { throw usage("--prob needs at least one column name") }
            foundScores = try given.compactMap { try find($0, flag: "--prob") }
            if Set(foundScores).count != foundScores.count { throw usage("--prob names the same column twice") }
        } else {
            let labelColumn = foundLabel ?? -1
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
                foundScores = family.columns
                if family.prefix == "logit_" { logits = true }
            } else if let column = single.first {
                foundScores = [column]
                if lowered[column] == "logit" { logits = true }
            } else {
                missing.append("no score column (none of \(InputError.list(Self.binaryScoreNames + ["logit"], limit: 20)), nor per-class columns p_<class>, prob_<class>, proba_<class> or logit_<class>)")
                flags.append("name the score column, or one per class, with --prob COL[,COL…]")
            }
        }

        // Optional columns: detected, or named by a flag (which must then be there).
        let foundWeight = try options.weight.map { try find($0, flag: "--weight") }
            ?? detect(Self.weightNames, role: "sample weight", flag: "--weight COL")
        let foundID = try options.id.map { try find($0, flag: "--id") }
            ?? detect(Self.idNames, role: "row id", flag: "--id COL")
        let foundGroup = try options.group.flatMap { try find($0, flag: "--group") }

        // y_<l>/p_<l> pairs and no label column: a multi-label file, never guessed.
        let pairs = MultiLabelColumns.pairedLabels(lowered)
        if foundLabel == nil, options.label == nil, !pairs.isEmpty {
            throw usage("the header has no label column but y_<label>/p_<label> pairs (\(InputError.list(pairs.map { "y_" + $0 }))): for a multi-label model pass --multilabel; for one label, name the columns with --label and --prob")
        }

        // Soft targets: named by --target (in class order), or the t_<class> columns.
        var foundTargets: [Int] = []
        if let given = options.targetColumns {
            guard !given.isEmpty else { throw usage("--target needs at least one column name") }
            foundTargets = try given.compactMap { try find($0, flag: "--target") }
            if Set(foundTargets).count != foundTargets.count { throw usage("--target names the same column twice") }
        } else {
            foundTargets = lowered.indices.filter {
                $0 != foundLabel && lowered[$0].hasPrefix(Self.targetPrefix) && lowered[$0].count > Self.targetPrefix.count
            }
        }

        guard missing.isEmpty, !foundScores.isEmpty else {
            var hint = flags.joined(separator: "; ")
            if let delimiter, let note = Self.delimiterNote(header, delimiter: delimiter) { hint = note + "; otherwise " + hint }
            throw InputError(.data, file: file, line: 1,
                             reason: missing.joined(separator: "; ") + "; the header's columns: \(InputError.list(header))",
                             hint: hint)
        }
        label = foundLabel
        scores = foundScores
        weight = foundWeight
        id = foundID
        group = foundGroup
        if let label, scores.contains(label) { throw usage("the label column cannot also be a score column") }
        let scoreColumns = foundScores
        if let clash = foundTargets.first(where: { $0 == foundLabel || scoreColumns.contains($0) }) {
            throw usage("the column \(InputError.name(header[clash])) cannot be both a target column and a label or score column")
        }
        names = scores.map { Self.className(fromColumn: header[$0]) }
        if scores.allSatisfy({ lowered[$0].hasPrefix("logit") }) { logits = true }
        scoreKind = logits ? .logits : .probabilities

        if let weight, weight == label || scores.contains(weight) || foundTargets.contains(weight) { throw usage("the weight column cannot also be a label, score or target column") }
        if let group, group == label || scores.contains(group) || foundTargets.contains(group) { throw usage("the group column cannot also be a label, score or target column") }

        // Classes.
        if scores.count == 1 {
            let named = Self.prefixedClassName(header[scores[0]])
            if let classes = options.classes {
                guard classes.count == 2 else {
                    throw usage("--classes lists \(classes.count) classes, but one score column means a binary task (two classes)")
                }
                let positive = options.positive ?? named ?? classes[1]
                guard classes.contains(positive) else {
                    throw usage("the positive class \(InputError.name(positive)) is not one of --classes (\(InputError.list(classes)))")
                }
                classNames = positive == classes[0] ? [classes[1], classes[0]] : classes
                positiveReason = options.positive != nil ? "named by --positive \(InputError.name(positive))"
                    : named != nil ? "named by the score column \(InputError.name(header[scores[0]]))" : "the second class of --classes"
            } else {
                classNames = nil
                if let given = options.positive {
                    positiveReason = "named by --positive \(InputError.name(given))"
                } else if named != nil {
                    positiveReason = "named by the score column \(InputError.name(header[scores[0]]))"
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
                        throw usage("the positive class \(InputError.name(given)) is not one of the classes (\(InputError.list(names)))")
                    }
                    positive = given
                    positiveReason = "named by --positive \(InputError.name(given))"
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
                    throw usage("--positive \(InputError.name(given)) applies to binary tasks; this file has \(names.count) classes")
                }
                classNames = names
            }
        }
        targets = try Self.targetColumns(foundTargets, header: header, classNames: classNames, positiveName: positiveName,
                                         named: options.targetColumns != nil, file: file)
        if label == nil && (targets.isEmpty || classNames == nil) {
            throw InputError(.data, file: file, line: 1,
                             reason: "no label column (none of \(InputError.list(Self.labelNames))); soft targets stand in for it only when the score columns name the classes; the header's columns: \(InputError.list(header))",
                             hint: "name the label column with --label COL")
        }
    }

    /// The target columns in class order (SPEC section 13). A `t_<class>`
    /// column must name one of the classes and every class needs one, except
    /// that a binary task may give only its positive class's; columns named
    /// by `--target` without the prefix are taken in class order. A column
    /// for an unknown class, or a class without one, is a usage error naming it.
    static func targetColumns(_ found: [Int], header: [String], classNames: [String]?, positiveName: String?,
                              named: Bool, file: String) throws -> [Int] {
        guard !found.isEmpty else { return [] }
        func usage(_ column: Int?, _ reason: String) -> InputError {
            InputError(.usage, file: file, line: 1, column: column.map { header[$0] }, reason: reason)
        }
        let suffixes = found.map { column -> String? in
            let lowered = header[column].lowercased()
            return lowered.hasPrefix(targetPrefix) && lowered.count > targetPrefix.count ? String(header[column].dropFirst(targetPrefix.count)) : nil
        }
        guard let classes = classNames else {
            // One binary score column: the classes come from the labels, so only the positive class's target can be named.
            guard found.count == 1 else {
                throw usage(nil, "\(found.count) target columns (\(InputError.list(found.map { header[$0] }))) for a binary task with one score column; give one, the positive class's target, or one score column per class")
            }
            if let suffix = suffixes[0], let positiveName, suffix != positiveName {
                throw usage(found[0], "names the class \(InputError.name(suffix)), but the positive class is \(InputError.name(positiveName)); a binary task's single target column is the positive class's")
            }
            return found
        }
        if named && suffixes.contains(nil) {
            guard found.count == classes.count || (classes.count == 2 && found.count == 1) else {
                throw usage(nil, "--target lists \(found.count) columns for \(classes.count) classes")
            }
            return found
        }
        var byClass = [Int?](repeating: nil, count: classes.count)
        for (column, suffix) in zip(found, suffixes) {
            guard let suffix, let c = classes.firstIndex(of: suffix) else {
                throw usage(column, "names the class \(InputError.name(suffixes[found.firstIndex(of: column)!] ?? header[column])), which is not one of the classes (\(InputError.list(classes)))")
            }
            guard byClass[c] == nil else { throw usage(column, "is a second target column for the class \(InputError.name(classes[c]))") }
            byClass[c] = column
        }
        if classes.count == 2 && byClass[0] == nil, let positive = byClass[1] { return [positive] }
        if let c = byClass.firstIndex(where: { $0 == nil }) {
            throw usage(nil, "no target column for the class \(InputError.name(classes[c])) (expected \(InputError.name(targetPrefix + classes[c]))); every class needs one")
        }
        return byClass.map { $0! }
    }

    /// A note for the hint when a header field holds a likely field separator
    /// other than `delimiter` (a tab, semicolon or pipe; or a comma when the
    /// delimiter is not one): the file is probably separated by it.
    static func delimiterNote(_ header: [String], delimiter: UInt8) -> String? {
        let candidates: [(byte: UInt8, word: String, flag: String)] = [
            (0x09, "a tab", "--delimiter tab"), (0x3B, "a semicolon", "--delimiter ';'"),
            (0x7C, "a pipe", "--delimiter '|'"), (0x2C, "a comma", "--delimiter ,"),
        ]
        for field in header {
            for c in candidates where c.byte != delimiter && field.utf8.contains(c.byte) {
                return "the header field \(InputError.name(field)) holds \(c.word): if the file is separated by \(c.word == "a tab" ? "tabs" : c.word.dropFirst(2) + "s"), pass \(c.flag)"
            }
        }
        return nil
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
