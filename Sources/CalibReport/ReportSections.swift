import CalibCore
import CalibInput

/// One cell of a `ReportTable`: text from the input (a class name, a
/// segment value), escaped by each format's writer, followed by calib's own
/// text (numbers, labels), written as it is; or a state, or a list of texts
/// from the input. Cells hold raw strings: only the writers escape.
struct ReportCell: Sendable, Hashable {
    var input: String = ""
    var own: String = ""
    /// The value's interval, `[0.0131, 0.0167]` (calib's own text, after `own`
    /// and a space; `NumberText.bracket(_:_:)`); empty without one. HTML sets it in a `span.interval`.
    var interval: String = ""
    /// A state each format words in its own way (`ReportTable` writers).
    var status: Status?
    /// Several texts from the input, written after `input` and `own` as `listStyle` says.
    var list: [String] = []
    var listStyle: ListStyle = .lines

    enum Status: Sendable, Hashable {
        /// A segment with too few rows to be gated or flagged.
        case smallSegment
        /// A segment flagged as overconfident.
        case overconfidentSegment
        /// A reliability bin among those contributing most to the ECE.
        case worstBin
        /// A gate that passed, one that only warns, one that fails the run.
        case gatePassed, gateWarned, gateFailed
        /// A value that is undefined for this input, with the reason in words
        /// (text that may quote the input, so escaped like it).
        case undefined(reason: String)
        /// A value the input does not have (a row without an id): written as
        /// nothing, and a sentence leaves out the words around it.
        case absent
    }

    /// How a cell's `list` is written.
    enum ListStyle: Sendable, Hashable {
        /// One text a line: joined by `<br>` in a Markdown or HTML table, on
        /// lines of their own under a terminal row.
        case lines
        /// Names (metric keys): joined by ", ", each in `<code>` in HTML.
        case names
    }

    /// A cell holding only a state.
    static func status(_ status: Status?) -> ReportCell { ReportCell(status: status) }

    /// calib's own text: a formatted number, a label.
    static func value(_ text: String) -> ReportCell { ReportCell(own: text) }
    /// A formatted number and its interval (`nil` or empty: none).
    static func value(_ text: String, interval: String?) -> ReportCell { ReportCell(own: text, interval: interval ?? "") }

    /// The interval as plain text, with its leading space: " [0.0131, 0.0167]", or "".
    var plainInterval: String { interval.isEmpty ? "" : " " + interval }
    /// Text from the input, then `suffix` of calib's own.
    static func text(_ text: String, _ suffix: String = "") -> ReportCell { ReportCell(input: text, own: suffix) }
    /// Several texts from the input (`listStyle` says how they are joined).
    static func list(_ items: [String], _ style: ListStyle) -> ReportCell { ReportCell(list: items, listStyle: style) }
}

/// How a row of a `ReportTable` reads as one sentence, for formats that
/// list the rows rather than tabulate them (the terminal's gates, worst rows
/// and worst bins; the undefined values in every format): calib's words
/// between the row's cells.
struct ReportSentence: Sendable {
    enum Part: Sendable {
        /// calib's own words.
        case words(String)
        /// The text of the row's cell at this index.
        case cell(Int)
        /// The cell right-aligned in `width` columns (the terminal's row counts).
        case padded(Int, width: Int)
        /// `before`, the cell and `after`, or nothing when the cell is `ReportCell/Status/absent`.
        case optional(Int, before: String, after: String)
    }

    var parts: [Part]

    init(_ parts: [Part]) { self.parts = parts }

    /// The sentence for `row`, each cell written by `text`.
    func text(_ row: [ReportCell], _ text: (ReportCell) -> String) -> String {
        parts.map { part in
            switch part {
            case let .words(words): words
            case let .cell(c): text(row[c])
            case let .padded(c, width): NumberText.pad(text(row[c]), width)
            case let .optional(c, before, after): row[c].status == .absent ? "" : before + text(row[c]) + after
            }
        }.joined()
    }
}

/// A section, format-neutral: built once from the report by a
/// `ReportSections` function and written by each format (`terminalLines(into:)`,
/// `markdown()`, `html()`, or row by row as sentences). Other columns (names,
/// labels, states) are left-aligned; `numeric` columns are right-aligned.
struct ReportTable: Sendable {
    struct Column: Sendable {
        var title: ReportCell
        var numeric: Bool
        /// Columns in the 80-column terminal table (left-padded when numeric,
        /// cut on the right otherwise); `nil`: written as it is after two spaces.
        var width: Int?
        /// Code (a gate expression): in `<code>` in HTML.
        var code = false
    }

    /// The section's heading in every format ("Gates"); empty when the
    /// renderer words it itself.
    var title = ""
    /// Words after the heading, in parentheses ("null in the JSON report").
    var detail = ""
    var columns: [Column]
    var rows: [[ReportCell]]
    /// Lines after the table, in calib's words (e.g. "… 3 more classes in the JSON report").
    var notes: [String] = []
    /// How a row reads as a sentence; when set, the terminal lists the rows
    /// as sentences instead of writing the table.
    var sentence: ReportSentence?

    // MARK: Writers

    /// The table as terminal lines, indented by two spaces; with a
    /// `sentence`, one line a row (`terminalSentences(into:)`).
    func terminalLines(into lines: inout TerminalLines) {
        if sentence != nil { return terminalSentences(into: &lines) }
        func line(_ cells: [ReportCell]) -> String {
            "  " + zip(columns, cells).map { column, cell in
                let text = TextEscaping.plain(cell.input) + cell.own + cell.plainInterval + Self.terminalWords(cell.status)
                guard let width = column.width else { return "  " + text }
                return column.numeric ? NumberText.pad(text, width) : NumberText.padRight(text, width)
            }.joined()
        }
        lines.append(line(columns.map(\.title)))
        for row in rows {
            lines.append(line(row))
            for cell in row where cell.listStyle == .lines { for item in cell.list { lines.append("    " + item) } }
        }
        for note in notes { lines.append("  " + note) }
    }

    /// The rows as sentences, indented by two spaces, each cell's `.lines`
    /// list on lines of its own indented by four. A sentence wider than the
    /// terminal that holds an undefined value says only "undefined" there and
    /// gives the reason wrapped on lines of its own, indented by eight.
    /// Lines are written raw: `TerminalLines` escapes them.
    /// With `wrap`, a sentence still wider than the terminal goes on under a
    /// hanging indent of four (the gates, whose interval may not fit).
    func terminalSentences(into lines: inout TerminalLines, wrap: Bool = false) {
        guard let sentence else { return }
        func append(_ line: String) {
            guard wrap, TextEscaping.plain(line).count > TerminalRenderer.width else { return lines.append(line) }
            for part in TextWrap.breakLine(line, width: TerminalRenderer.width, indent: "    ") { lines.append(part) }
        }
        for row in rows {
            let line = "  " + sentence.text(row, Self.terminalText)
            if TextEscaping.plain(line).count > TerminalRenderer.width,
               let c = row.firstIndex(where: { if case .undefined = $0.status { true } else { false } }),
               case let .undefined(reason)? = row[c].status {
                var short = row
                short[c] = .value("undefined")
                append("  " + sentence.text(short, Self.terminalText))
                for part in TextWrap.wrap("undefined: " + reason, width: TerminalRenderer.width, indent: "        ") { lines.append(part) }
            } else {
                append(line)
            }
            for cell in row where cell.listStyle == .lines { for item in cell.list { lines.append("    " + item) } }
        }
        for note in notes { lines.append("  " + note) }
    }

    /// The table as a GitHub-flavoured Markdown table.
    func markdown() -> [String] {
        func line(_ cells: [ReportCell]) -> String { "| " + cells.map(Self.markdownText).joined(separator: " | ") + " |" }
        // An empty heading is "| |", as GitHub writes it.
        let header = "|" + columns.map { column in
            let title = Self.markdownText(column.title)
            return title.isEmpty ? " |" : " \(title) |"
        }.joined()
        var out = [header, "|" + columns.map { $0.numeric ? "---:|" : "---|" }.joined()]
        out += rows.map(line)
        return out
    }

    /// The rows as terminal sentences, raw (`TerminalLines` escapes them),
    /// for a renderer that wraps them itself.
    func terminalSentenceTexts() -> [String] {
        guard let sentence else { return [] }
        return rows.map { sentence.text($0, Self.terminalText) }
    }

    /// The rows as Markdown sentences (the `sentence` form, escaped for Markdown).
    func markdownSentences() -> [String] {
        guard let sentence else { return [] }
        return rows.map { sentence.text($0, Self.markdownText) }
    }

    /// The table as HTML, in its scrolling wrapper.
    func html() -> String {
        HTMLRenderer.table(columns.map { Self.htmlText($0.title) }, numeric: columns.indices.filter { columns[$0].numeric },
            rows: rows.map { row in zip(columns, row).map { column, cell in column.code ? "<code>\(Self.htmlText(cell))</code>" : Self.htmlText(cell) } })
    }

    /// The rows as HTML sentences (the `sentence` form, escaped for HTML).
    func htmlSentences() -> [String] {
        guard let sentence else { return [] }
        return rows.map { sentence.text($0, Self.htmlText) }
    }

    /// The rows as the page's cards: the first three cells as label, value and reading.
    func htmlCards() -> [String] {
        rows.map { row in
            "<div class=\"card\"><div class=\"card-label\">\(Self.htmlText(row[0]))</div><div class=\"card-value\">\(Self.htmlText(row[1]))</div>"
                + "<div class=\"card-reading\">\(Self.htmlText(row[2]))</div></div>"
        }
    }
}

extension ReportTable {
    /// A cell in a terminal sentence, raw (`TerminalLines` escapes the line).
    static func terminalText(_ cell: ReportCell) -> String {
        cell.input + cell.own + cell.plainInterval + terminalWords(cell.status) + (cell.listStyle == .names ? cell.list.joined(separator: ", ") : "")
    }

    /// A cell in Markdown: input and list escaped (``TextEscaping/markdown(_:)``).
    static func markdownText(_ cell: ReportCell) -> String {
        let list = cell.list.map(TextEscaping.markdown).joined(separator: cell.listStyle == .names ? ", " : "<br>")
        return TextEscaping.markdown(cell.input) + cell.own + cell.plainInterval + markdownWords(cell.status) + list
    }

    /// A cell in HTML: input and list escaped (``TextEscaping/html(_:)``), names in `<code>`.
    static func htmlText(_ cell: ReportCell) -> String {
        let list = cell.listStyle == .names
            ? cell.list.map { "<code>\(TextEscaping.html($0))</code>" }.joined(separator: ", ")
            : cell.list.map(TextEscaping.html).joined(separator: "<br>")
        let interval = cell.interval.isEmpty ? "" : " <span class=\"interval\">\(cell.interval)</span>"
        return TextEscaping.html(cell.input) + cell.own + interval + htmlWords(cell.status) + list
    }

    /// A state in the terminal's few columns.
    static func terminalWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "small"
        case .overconfidentSegment: "⚑ over"
        case .worstBin: "worst"
        case .gatePassed: "pass"
        case .gateWarned: "WARN"
        case .gateFailed: "FAIL"
        case let .undefined(reason): "undefined: " + reason
        case .absent, nil: ""
        }
    }

    /// A state in a Markdown cell.
    static func markdownWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "too small to gate"
        case .overconfidentSegment: "⚑ overconfident"
        case .worstBin: "⚠"
        case .gatePassed: "✅ pass"
        case .gateWarned: "⚠️ warning"
        case .gateFailed: "❌ **fail**"
        case let .undefined(reason): TextEscaping.markdown("undefined: " + reason)
        case .absent, nil: ""
        }
    }

    /// A state in an HTML cell, coloured by the page's classes.
    static func htmlWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "too small to gate"
        case .overconfidentSegment: "<span class=\"fail\">overconfident</span>"
        case .worstBin: "<span class=\"fail\">worst</span>"
        case .gatePassed: "<span class=\"pass\">pass</span>"
        case .gateWarned: "<span class=\"warn\">warning</span>"
        case .gateFailed: "<span class=\"fail\">fail</span>"
        case let .undefined(reason): TextEscaping.html("undefined: " + reason)
        case .absent, nil: ""
        }
    }
}

/// The sections every report has, each built once from the report as a
/// `ReportTable` and written by the terminal, Markdown and HTML renderers.
/// `compact` is the 80-column terminal form: shorter titles, fewer digits,
/// columns the line has no room for left out.
enum ReportSections {
    /// The terminal shows at most this many classes (the rarest ones).
    static let compactClassLimit = 12

    /// Per class: support, prior, precision, recall, F1, ECE and cross-entropy
    /// (the full form adds the row count, and the intervals of precision,
    /// recall and ECE after their values; the compact form has no room for
    /// them: `perClassIntervals(_:)` lists them under the table). The compact form shows the
    /// `compactClassLimit` rarest classes when there are more.
    static func perClass(_ report: Report, compact: Bool) -> ReportTable {
        let r = report.result
        let keys: [ClassMetricKey] = [.support, .prior, .precision, .recall, .f1, .ece, .crossEntropy]
        if compact {
            let widths = [10, 8, 7, 8, 7, 8, 8]
            let digits: [ClassMetricKey: Int] = [.prior: 1, .crossEntropy: 3]
            let shown = r.perClass.count <= compactClassLimit ? Array(r.perClass.indices)
                : Array(r.perClass.indices.sorted { r.perClass[$0].support < r.perClass[$1].support }.prefix(compactClassLimit))
            var table = ReportTable(
                columns: [.init(title: .value("class"), numeric: false, width: 16)]
                    + zip(keys, widths).map { .init(title: .value($0.display.shortLabel), numeric: true, width: $1) },
                rows: shown.map { c in
                    [.text(r.perClass[c].name)] + keys.map { .value(ReportVocabulary.formatted($0, $0.value(in: r.perClass[c]), digits: digits[$0])) }
                })
            if shown.count < r.perClass.count { table.notes.append("… \(r.perClass.count - shown.count) more classes in the JSON report") }
            return table
        }
        let ranking = rankingColumns(report)
        return ReportTable(
            columns: [.init(title: .value("class"), numeric: false, width: nil), .init(title: .value("rows"), numeric: true, width: nil)]
                + keys.map { .init(title: .value($0.display.label), numeric: true, width: nil) }
                + ranking.map(\.column),
            rows: r.perClass.enumerated().map { i, c in
                [.text(c.name), .value(NumberText.count(c.rows))]
                    + keys.map { .value(ReportVocabulary.formatted($0, $0.value(in: c)), interval: ReportVocabulary.bracket($0, of: c, in: r)) }
                    + ranking.map { $0.cell(i) }
            })
    }

    /// The terminal's per-class intervals under the per-class table, for the
    /// classes it shows: class, then the intervals of precision, recall and
    /// ECE with their keys' digits; `nil` without the bootstrap.
    static func perClassIntervals(_ report: Report) -> ReportTable? {
        let r = report.result
        guard let bootstrap = r.bootstrap else { return nil }
        let keys: [ClassMetricKey] = [.precision, .recall, .ece]
        let shown = r.perClass.count <= compactClassLimit ? Array(r.perClass.indices)
            : Array(r.perClass.indices.sorted { r.perClass[$0].support < r.perClass[$1].support }.prefix(compactClassLimit))
        let level = ReportVocabulary.share(bootstrap.settings.confidence)
        return ReportTable(title: "\(level) intervals",
            columns: [.init(title: .value("class"), numeric: false, width: 16)]
                + [18, 18, 20].enumerated().map { .init(title: .value(keys[$0].display.shortLabel), numeric: true, width: $1) },
            rows: shown.map { c in
                [.text(r.perClass[c].name)] + keys.map { .value(ReportVocabulary.bracket($0, of: r.perClass[c], in: r) ?? ReportVocabulary.undefined) }
            })
    }

    /// The per-class table's ranking columns, ROC AUC and average precision
    /// one-vs-rest: only for multiclass audits asked for ranking (a binary
    /// audit's ranking has its own section), so that tables without ranking
    /// stay as they were. An undefined value's cell says why.
    static func rankingColumns(_ report: Report) -> [(column: ReportTable.Column, cell: (Int) -> ReportCell)] {
        guard report.result.task != .binary, let ranking = report.findings.ranking else { return [] }
        let k = ranking.metrics
        func cell(_ value: Double, _ reason: String?, _ key: String) -> ReportCell {
            value.isFinite || reason == nil ? .value(ReportVocabulary.formattedRanking(key, value)) : .status(.undefined(reason: reason ?? ""))
        }
        return [
            (.init(title: .value(ReportVocabulary.ranking("rocAUC").label), numeric: true, width: nil),
             { c in c < k.perClass.count ? cell(k.perClass[c].rocAUC, ranking.perClassReasons[c].rocAUC, "rocAUC") : .value(ReportVocabulary.undefined) }),
            (.init(title: .value(ReportVocabulary.ranking("averagePrecision").label), numeric: true, width: nil),
             { c in c < k.perClass.count ? cell(k.perClass[c].averagePrecision, ranking.perClassReasons[c].averagePrecision, "averagePrecision") : .value(ReportVocabulary.undefined) }),
        ]
    }

    /// The imbalance loss table: each evaluated loss's value and the rarest
    /// class's share of it and of its gradient (the full form adds the class's
    /// share of rows).
    static func imbalanceLosses(_ report: Report, compact: Bool) -> ReportTable {
        let r = report.result
        let rare = report.rarestClass
        let losses = r.imbalance.losses
        func value(_ loss: LossEvaluation) -> ReportCell { .value(NumberText.fixed(loss.value, ReportVocabulary.lossDigits)) }
        if compact {
            return ReportTable(
                columns: [.init(title: .value("loss"), numeric: false, width: 40), .init(title: .value("value"), numeric: true, width: 10),
                          .init(title: .value("loss share"), numeric: true, width: 13), .init(title: .value("grad share"), numeric: true, width: 13)],
                rows: losses.map { loss in
                    [.text(ReportVocabulary.lossLabel(loss)), value(loss),
                     .value(NumberText.percent(loss.perClass[rare].lossShare)), .value(NumberText.percent(loss.perClass[rare].gradientShare))]
                })
        }
        return ReportTable(
            columns: [.init(title: .value("loss"), numeric: false, width: nil), .init(title: .value("value"), numeric: true, width: nil),
                      .init(title: .text(r.classNames[rare], ": share of rows"), numeric: true, width: nil),
                      .init(title: .value("share of loss"), numeric: true, width: nil), .init(title: .value("share of gradient"), numeric: true, width: nil)],
            rows: losses.map { loss in
                [.text(ReportVocabulary.lossLabel(loss)), value(loss), .value(NumberText.percent(r.perClass[rare].prior)),
                 .value(NumberText.percent(loss.perClass[rare].lossShare)), .value(NumberText.percent(loss.perClass[rare].gradientShare))]
            })
    }

    /// The terminal shows at most this many segments (the worst ones).
    static let compactSegmentLimit = 10

    /// Segments, worst ECE first: rows, cross-entropy, accuracy, ECE, MCE and
    /// whether the segment is too small to gate or flagged (the full form adds
    /// the over-confidence). The compact form shows the first `compactSegmentLimit`.
    static func segments(_ report: Report, compact: Bool) -> ReportTable {
        let keys: [MetricKey] = compact ? [.crossEntropy, .accuracy, .ece, .mce] : [.crossEntropy, .accuracy, .ece, .mce, .overconfidence]
        let widths = compact ? [9, 10, 9, 9] : [Int?](repeating: nil, count: keys.count)
        let shown = compact ? Array(report.segments.prefix(compactSegmentLimit)) : report.segments
        var table = ReportTable(
            columns: [.init(title: .value("segment"), numeric: false, width: compact ? 22 : nil), .init(title: .value("rows"), numeric: true, width: compact ? 10 : nil)]
                + zip(keys, widths).map { .init(title: .value(compact ? $0.display.shortLabel : $0.display.label), numeric: true, width: $1) }
                + [.init(title: .value(compact ? "flag" : ""), numeric: false, width: nil)],
            rows: shown.map { s in
                [.text(s.name), .value(NumberText.count(s.result.rows))]
                    + keys.map { .value(ReportVocabulary.formatted($0, $0.value(in: s.result.metrics))) }
                    + [.status(!s.gated ? .smallSegment : s.flag != nil ? .overconfidentSegment : nil)]
            })
        if shown.count < report.segments.count { table.notes.append("… \(report.segments.count - shown.count) more segments in the JSON report") }
        return table
    }

    /// The headline metrics with their readings, in the findings' order
    /// (``ReportFindings/readings``): label, value with the key's digits and
    /// its interval, and the reading, which may quote the input (the positive class).
    /// The note names the averages and the other ECEs, for the formats with room for it.
    static func headline(_ report: Report) -> ReportTable {
        func v(_ key: MetricKey) -> String { ReportVocabulary.formatted(key, in: report.result) }
        let weightedF1 = MetricKey.average("weighted", .f1)
        return ReportTable(title: "Headline metrics",
            columns: [.init(title: .value("metric"), numeric: false, width: nil), .init(title: .value("value"), numeric: true, width: nil),
                      .init(title: .value("reading"), numeric: false, width: nil)],
            rows: report.findings.readings.map { [.value($0.label), .value(ReportVocabulary.formatted($0), interval: ReportVocabulary.bracket($0, in: report.result)), .text($0.reading)] },
            notes: ["Macro precision / recall / F1: \(v(.average("macro", .precision))) / \(v(.average("macro", .recall))) / \(v(.average("macro", .f1)))"
                + "; \(weightedF1.display.label) \(v(weightedF1)); \(MetricKey.topLabelECE.display.label) \(v(.topLabelECE))"
                + "; \(MetricKey.classwiseECE.display.label) \(v(.classwiseECE))."] + (topLabelNote(report).map { [$0] } ?? []))
    }

    /// The headline metrics in the terminal's 80 columns: three groups
    /// (loss, decisions, calibration), each a title, a detail (the threshold,
    /// the bins) and lines of values with their keys' digits and intervals
    /// (``ReportVocabulary/formatted(_:in:digits:)``), a line's values packed
    /// into 78 columns (`TextWrap.pack`). Each line is calib's words
    /// followed by text from the input (the verdict's positive class).
    static func headlineGroups(_ report: Report) -> [ReportTable] {
        let r = report.result
        let m = r.metrics
        func v(_ key: MetricKey) -> String { ReportVocabulary.formatted(key, in: r) }
        func percent(_ key: MetricKey) -> String { ReportVocabulary.percent(key, in: r) }
        let skill = m.logLossSkill.isFinite
            ? "\(percent(.logLossSkill)) \(m.logLossSkill >= 0 ? "(beats the base rate)" : "(worse than the base rate)")" : "undefined (see above)"
        var tail = ["wrong when ≥ \(NumberText.fixed(r.settings.confidentAt, 2)) confident: \(percent(.confidentErrorRate))"]
        if m.calibrationInTheLarge != nil { tail.append("\(MetricKey.calibrationInTheLarge.display.shortLabel) \(v(.calibrationInTheLarge))") }
        let macro = r.bootstrap == nil
            ? ["macro P/R/F1 \(v(.average("macro", .precision)))/\(v(.average("macro", .recall)))/\(v(.average("macro", .f1))) ", "weighted F1 \(v(.average("weighted", .f1)))"]
            : ["macro precision \(v(.average("macro", .precision)))", "recall \(v(.average("macro", .recall)))", "F1 \(v(.average("macro", .f1)))",
               "weighted F1 \(v(.average("weighted", .f1)))"]
        return [
            headlineGroup("Loss", "", [
                ["cross-entropy   \(v(.crossEntropy)) nats", "(\(ReportVocabulary.formatted(.crossEntropyBits, in: m)) bits, perplexity \(ReportVocabulary.formatted(.perplexity, in: m)))"],
                ["prior CE        \(v(.priorCrossEntropy)) nats", "log-loss skill " + skill],
                ["Brier           \(v(.brier))"],
            ]),
            headlineGroup("Decisions", r.task == .binary ? "threshold \(NumberText.fixed(r.settings.threshold, 2))" : "argmax", [
                ["accuracy \(v(.accuracy))", "balanced \(v(.balancedAccuracy))", "MCC \(v(.mcc))"],
                macro,
            ]),
            r.task == .binary ? binaryCalibrationGroup(report) : headlineGroup("Calibration", "\(r.settings.bins) bins; headline: \(r.eceMode.rawValue) ECE", [
                ["ECE \(v(.ece))", "MCE \(v(.mce))", "top-label ECE \(v(.topLabelECE))", "classwise \(v(.classwiseECE))"],
                ["over-confidence \(v(.overconfidence))", "under \(v(.underconfidence))", "mean confidence \(v(.meanConfidence))"],
                tail,
            ], verdict: report.findings.verdict),
        ]
    }

    /// A terminal headline group: each line's items packed into 78 columns
    /// (continued lines indented by `continuation`, per line), then the
    /// verdict's line when given ("verdict: " and the verdict, text from the
    /// input), at `verdictAt` among the lines (the end by default). Written as
    /// sentences; the terminal wraps the verdict.
    static func headlineGroup(_ title: String, _ detail: String, _ lines: [[String]], continuation: [String] = [],
                              verdict: String? = nil, verdictAt: Int? = nil) -> ReportTable {
        var rows: [[ReportCell]] = lines.enumerated().flatMap { i, items in
            TextWrap.pack(items, width: TerminalRenderer.width - 2, continuation: i < continuation.count ? continuation[i] : "  ").map { [ReportCell.value($0), .value("")] }
        }
        if let verdict {
            let at = verdictAt.map { at in lines.prefix(at).reduce(0) { n, items in n + TextWrap.pack(items, width: TerminalRenderer.width - 2).count } } ?? rows.count
            rows.insert([.value("verdict: "), .text(verdict)], at: at)
        }
        return ReportTable(title: title, detail: detail,
            columns: [.init(title: .value("values"), numeric: false, width: nil), .init(title: .value(""), numeric: false, width: nil)],
            rows: rows, sentence: ReportSentence([.cell(0), .cell(1)]))
    }

    /// The terminal's calibration group of a binary task: the headline ECEs,
    /// the positive-class direction (mean score − positive rate, in words),
    /// the verdict, then the top-label values on lines of their own, labelled
    /// as such (they measure the predicted class, either one).
    static func binaryCalibrationGroup(_ report: Report) -> ReportTable {
        let r = report.result
        func v(_ key: MetricKey) -> String { ReportVocabulary.formatted(key, in: r) }
        let citl = MetricKey.calibrationInTheLarge
        // The direction's words go on a line of their own when the value and its interval leave no room.
        let head = "\(citl.display.shortLabel) \(v(citl))"
        let direction: [[String]] = report.findings.calibration.inTheLargeShort.map { short in
            head.count + 2 + short.count <= TerminalRenderer.width - 2 ? [[head + ": " + short]] : [[head + ":"], ["  " + short]]
        } ?? [[head]]
        let wrongRate = ReportVocabulary.percent(.confidentErrorRate, in: r)
        let label = "top-label: ", hang = String(repeating: " ", count: label.count)
        return headlineGroup("Calibration", "\(r.settings.bins) bins; headline: \(r.eceMode.rawValue) ECE", [
            ["ECE \(v(.ece))", "MCE \(v(.mce))", "classwise \(v(.classwiseECE))"]] + direction + [
            [label + "ECE \(v(.topLabelECE))", "over-confidence \(v(.overconfidence))", "under \(v(.underconfidence))", "OE \(v(.overconfidenceError))"],
            [hang + "mean confidence \(v(.meanConfidence))", "wrong when ≥ \(NumberText.fixed(r.settings.confidentAt, 2)) confident: \(wrongRate)"],
        ], continuation: ["  "] + direction.map { _ in "  " } + [hang, hang], verdict: report.findings.verdict, verdictAt: 1 + direction.count)
    }

    /// The defined values whose interval the bootstrap could not give (the
    /// sorted estimators past the score store's budget, a rare class's
    /// precision), each named `KEY interval`, with the reason
    /// (`UndefinedReasons.intervalReason(_:result:)`). Empty without the bootstrap
    /// (the method line's absence says so) and for undefined values (listed with their own reason).
    static func missingIntervals(_ report: Report) -> [UndefinedValue] {
        guard let bootstrap = report.result.bootstrap else { return [] }
        return bootstrap.entries.compactMap { entry in
            guard entry.interval == nil, entry.estimate.isFinite, let reason = UndefinedReasons.intervalReason(entry.key.name, result: report.result) else { return nil }
            return UndefinedValue(key: entry.key.name + " interval", reason: reason)
        }
    }

    /// The headline metrics that are undefined for this input, grouped by
    /// reason (``UndefinedReasons/grouped(_:)``): the keys and the reason; the
    /// sentence reads "crossEntropy, accuracy: total weight is 0".
    static func undefinedValues(_ report: Report) -> ReportTable {
        ReportTable(title: "Undefined for this input", detail: "null in the JSON report",
            columns: [.init(title: .value("values"), numeric: false, width: nil), .init(title: .value("reason"), numeric: false, width: nil)],
            rows: UndefinedReasons.grouped(report.findings.undefined + (report.findings.ranking?.undefined ?? []) + missingIntervals(report)).map { [.list($0.keys, .names), .text($0.reason)] },
            sentence: ReportSentence([.cell(0), .words(": "), .cell(1)]))
    }

    /// A reliability table: each bin's range, rows, weight, mean prediction,
    /// observed rate and gap, the `worst` bins marked; columns worded for
    /// `mode` (``ReportVocabulary/words(_:)``). With `intervals` (per bin, the
    /// interval of the observed rate; `BootstrapResult.headlineBins`) a column
    /// "95% interval" follows the observed rate (empty for a bin without one).
    /// The compact form lists only the worst bins, in bin order, with fewer
    /// digits and no weight, as sentences:
    /// "0.33–0.40         41 rows  predicted 0.372  observed 0.723  gap -0.352",
    /// each bin's interval on a line of its own under it ("observed 95% interval [0.650, 0.790]").
    static func reliability(_ table: ReliabilityTable, mode: ECEMode, worst: [Int], compact: Bool,
                            intervals: [MetricInterval?]? = nil, confidence: Double = 0.95) -> ReportTable {
        let words = ReportVocabulary.words(mode)
        let level = "\(ReportVocabulary.share(confidence)) interval"
        func bracket(_ b: Int, _ digits: Int) -> String? {
            guard let intervals, b < intervals.count, table.bins[b].observedRate != nil else { return nil }
            return NumberText.bracket(intervals[b]) { NumberText.fixed($0, digits) }
        }
        if compact {
            return ReportTable(title: "Worst bins", detail: "largest share of the \(mode.rawValue) ECE",
                columns: [.init(title: .value("bin"), numeric: false, width: nil), .init(title: .value("rows"), numeric: true, width: nil),
                          .init(title: .value(words.predicted), numeric: true, width: nil), .init(title: .value(words.observed), numeric: true, width: nil),
                          .init(title: .value("gap"), numeric: true, width: nil), .init(title: .value(level), numeric: false, width: nil)],
                rows: worst.sorted().map { b in
                    let bin = table.bins[b]
                    return [.value("\(NumberText.fixed(bin.lower, 2))–\(NumberText.fixed(bin.upper, 2))"), .value(NumberText.count(bin.count)),
                            .value(NumberText.fixed(bin.meanPredicted, 3)), .value(NumberText.fixed(bin.observedRate, 3)), .value(NumberText.signed(bin.gap, 3)),
                            .list(bracket(b, 3).map { ["  \(words.observed) \(level) \($0)"] } ?? [], .lines)]
                },
                sentence: ReportSentence([.cell(0), .words("  "), .padded(1, width: 9), .words(" rows  \(words.predicted) "), .cell(2),
                                          .words("  \(words.observed) "), .cell(3), .words("  gap "), .cell(4)]))
        }
        let withIntervals = intervals != nil
        return ReportTable(
            columns: [.init(title: .value("bin"), numeric: false, width: nil)]
                + ["rows", "weight", words.meanPredicted, words.observedRate].map { .init(title: .value($0), numeric: true, width: nil) }
                + (withIntervals ? [.init(title: .value(level), numeric: true, width: nil)] : [])
                + [.init(title: .value("gap"), numeric: true, width: nil), .init(title: .value(""), numeric: false, width: nil)],
            rows: table.bins.enumerated().map { b, bin in
                [.value("\(NumberText.fixed(bin.lower, 3))–\(NumberText.fixed(bin.upper, 3))"), .value(NumberText.count(bin.count)), .value(NumberText.weight(bin.weight)),
                 .value(NumberText.fixed(bin.meanPredicted, 4)), .value(NumberText.fixed(bin.observedRate, 4))]
                    + (withIntervals ? [.value(bracket(b, 4) ?? "")] : [])
                    + [.value(NumberText.signed(bin.gap, 4)), .status(worst.contains(b) ? .worstBin : nil)]
            })
    }

    /// The rows the model got most confidently wrong: line (`source:line`
    /// when the report merges several inputs), id (absent when the input has none), label, prediction, confidence and the row's
    /// cross-entropy. The compact form gives the cross-entropy to 2 digits and
    /// reads as sentences: "line 213 (id tx-9): label fraud, predicted legit at 0.9812, CE 3.97".
    static func worstRows(_ report: Report, compact: Bool) -> ReportTable {
        let r = report.result
        return ReportTable(title: "Most confidently wrong rows",
            columns: [.init(title: .value("line"), numeric: true, width: nil), .init(title: .value("id"), numeric: false, width: nil),
                      .init(title: .value("label"), numeric: false, width: nil), .init(title: .value("predicted"), numeric: false, width: nil),
                      .init(title: .value("confidence"), numeric: true, width: nil), .init(title: .value("cross-entropy"), numeric: true, width: nil)],
            rows: r.worstRows.map { row in
                [row.source.map { .text("\($0):\(row.line)") } ?? .value(String(row.line)), row.id.map { .text($0) } ?? .status(.absent), .text(r.classNames[row.label]), .text(r.classNames[row.predicted]),
                 .value(NumberText.fixed(row.confidence, ReportVocabulary.worstRowConfidenceDigits)),
                 .value(NumberText.fixed(row.crossEntropy, compact ? ReportVocabulary.worstRowLossDigitsCompact : ReportVocabulary.worstRowLossDigits))]
            },
            sentence: compact ? ReportSentence([.words("line "), .cell(0), .optional(1, before: " (id ", after: ")"), .words(": label "), .cell(2),
                                                .words(", predicted "), .cell(3), .words(" at "), .cell(4), .words(", CE "), .cell(5)]) : nil)
    }

    /// The invalid rows skipped, by reason: the reason's code, its count and
    /// its first messages (3; the compact form 2, as lines under "code: count").
    static func skippedRows(_ report: Report, compact: Bool) -> ReportTable { skippedRows(report.input.skipped, compact: compact) }

    /// The skipped-rows table of any input's `SkippedRows` (audit and multi-label reports).
    static func skippedRows(_ skipped: SkippedRows, compact: Bool) -> ReportTable {
        ReportTable(title: "Skipped rows",
            columns: [.init(title: .value("reason"), numeric: false, width: nil), .init(title: .value("rows"), numeric: true, width: nil),
                      .init(title: .value("first examples"), numeric: false, width: nil)],
            rows: skipped.reasons.map { reason in
                [.text(reason.code), .value(NumberText.count(reason.count)), .list(reason.examples.prefix(compact ? 2 : 3).map(\.message), .lines)]
            },
            sentence: compact ? ReportSentence([.cell(0), .words(": "), .cell(1)]) : nil)
    }

    /// The gates in the order given: expression, value (or why it is
    /// undefined), threshold, and whether it passed, warns or fails; when a
    /// gate is on an interval bound (`ece.lower`), a column "interval" with
    /// its key's value and interval, `ece 0.0148 [0.0131, 0.0167]` (the key
    /// may quote a class). Value and threshold have `ReportVocabulary/gateDigits`.
    /// The sentence reads "FAIL  ece>0.05  (value 0.0812, threshold 0.0500)",
    /// "FAIL  ece.lower>0.01  (value 0.0131, threshold 0.0100; ece 0.0148 [0.0131, 0.0167])".
    static func gates(_ report: Report) -> ReportTable { gates(report.gates) }

    /// The gates table of any report's outcomes (audit and multi-label reports).
    static func gates(_ outcomes: [GateOutcome]) -> ReportTable {
        let digits = ReportVocabulary.gateDigits
        let bounds = outcomes.contains { $0.bound != nil }
        return ReportTable(title: "Gates",
            columns: [.init(title: .value("gate"), numeric: false, width: nil, code: true), .init(title: .value("value"), numeric: true, width: nil),
                      .init(title: .value("threshold"), numeric: true, width: nil), .init(title: .value("result"), numeric: false, width: nil)]
                + (bounds ? [.init(title: .value("interval"), numeric: false, width: nil)] : []),
            rows: outcomes.map { g in
                [.text(g.expression), g.value.map { .value(NumberText.fixed($0, digits)) } ?? .status(.undefined(reason: g.undefinedReason ?? "")),
                 .value(NumberText.fixed(g.threshold, digits)), .status(g.passed ? .gatePassed : g.severity == .warning ? .gateWarned : .gateFailed)]
                    + (bounds ? [g.bound.map { b in .text(b.key, " " + NumberText.interval(b.estimate, b.interval, digits)) } ?? .status(.absent)] : [])
            },
            sentence: ReportSentence([.cell(3), .words("  "), .cell(0), .words("  (value "), .cell(1), .words(", threshold "), .cell(2)]
                + (bounds ? [.optional(4, before: "; ", after: "")] : []) + [.words(")")]))
    }
}

/// The ranking section (SPEC section 8), built from `ReportFindings.ranking`:
/// the headline values, the operating points, the cost and the sketch's bound.
extension ReportSections {
    /// A sentence table: each row calib's words, then text from the input (may be empty).
    static func lines(title: String = "", detail: String = "", _ rows: [[ReportCell]]) -> ReportTable {
        ReportTable(title: title, detail: detail,
            columns: [.init(title: .value("text"), numeric: false, width: nil), .init(title: .value(""), numeric: false, width: nil)],
            rows: rows.map { $0.count == 1 ? $0 + [.value("")] : $0 }, sentence: ReportSentence(rows.isEmpty ? [] : [.cell(0), .cell(1)]))
    }

    /// What the ranks: "scores of '1'" for binary tasks, one-vs-rest for multiclass.
    static func rankingDetail(_ ranking: RankingFindings, classes: Int) -> String {
        ranking.positiveClass.map { "by the score of '\($0)'; positive rate \(ReportVocabulary.formattedRanking("positiveRate", ranking.metrics.positiveRate))" } ?? "one-vs-rest, \(classes) classes"
    }

    /// The headline values in one line: binary "ROC AUC 0.8484  average
    /// precision 0.6885 (no skill 0.2480)", multiclass the macro and weighted
    /// AUC and the macro average precision. `separator` goes between the values.
    static func rankingHeadlineText(_ ranking: RankingFindings, result: AuditResult, compact: Bool) -> String {
        rankingHeadlineItems(ranking, result: result).joined(separator: compact ? "  " : " · ")
    }

    /// The headline values as items, each with its interval when it has one
    /// ("ROC AUC 0.8756 [0.8562, 0.8944]"), for the terminal to pack.
    static func rankingHeadlineItems(_ ranking: RankingFindings, result: AuditResult) -> [String] {
        let k = ranking.metrics
        func v(_ key: String, _ value: Double) -> String {
            let digits = ReportVocabulary.ranking(key).digits
            return ReportVocabulary.formattedRanking(key, value) + (ReportVocabulary.bracket(RankingKey.prefix + key, value, in: result, digits: digits).map { " " + $0 } ?? "")
        }
        if ranking.positiveClass != nil {
            return ["ROC AUC \(v("rocAUC", k.rocAUC))", "average precision \(v("averagePrecision", k.averagePrecision)) (no skill \(v("positiveRate", k.positiveRate)))"]
        }
        return ["ROC AUC macro \(v("rocAUC", k.rocAUC))", "weighted \(v("weightedROCAUC", k.weightedROCAUC))", "average precision macro \(v("averagePrecision", k.averagePrecision))"]
    }

    /// The undefined ranking values grouped by reason, as sentences
    /// "— ROC AUC, precision ≥ 99%: no threshold reaches this precision".
    static func rankingUndefined(_ ranking: RankingFindings) -> [[ReportCell]] {
        rankingUndefinedGroups(ranking).map { [.value("\(ReportVocabulary.undefined) \($0.labels.joined(separator: ", ")): "), .text($0.reason)] }
    }

    /// The words for the ranking's headline keys in sentences.
    static let rankingLabels = ["ranking.rocAUC": "ROC AUC", "ranking.weightedROCAUC": "weighted ROC AUC", "ranking.averagePrecision": "average precision"]

    /// The undefined ranking values grouped by reason, in order: the headline
    /// values by their words, the operating points of one kind together as
    /// "precision ≥ 95%/99%".
    static func rankingUndefinedGroups(_ ranking: RankingFindings) -> [(labels: [String], reason: String)] {
        var groups: [(labels: [String], reason: String)] = []
        func add(_ label: String, _ reason: String) {
            if let i = groups.firstIndex(where: { $0.reason == reason }) { groups[i].labels.append(label) } else { groups.append(([label], reason)) }
        }
        for value in ranking.undefined { add(rankingLabels[value.key] ?? value.key, value.reason) }
        var byKind: [(kind: OperatingPoint.Kind, reason: String, targets: [String])] = []
        for point in ranking.operatingPoints {
            guard let reason = point.undefinedReason else { continue }
            if let i = byKind.firstIndex(where: { $0.kind == point.kind && $0.reason == reason }) { byKind[i].targets.append(ReportVocabulary.share(point.target)) }
            else { byKind.append((point.kind, reason, [ReportVocabulary.share(point.target)])) }
        }
        let heads: [OperatingPoint.Kind: String] = [.precision: "precision ≥ ", .fpr: "FPR ≤ ", .top: "top "]
        for entry in byKind { add((heads[entry.kind] ?? "") + entry.targets.joined(separator: "/"), entry.reason) }
        return groups
    }

    /// The cost summary, when costs were given: the costs, the Bayes threshold
    /// and its cost, the best threshold and its cost, and the regret.
    static func costText(_ cost: CostAnalysis, compact: Bool) -> String {
        let t = compact ? ReportVocabulary.thresholdDigitsCompact : ReportVocabulary.thresholdDigits
        let c = ReportVocabulary.costDigits
        let best = cost.bestThreshold == .infinity ? "flagging nothing" : "threshold \(NumberText.fixed(cost.bestThreshold, t))"
        if compact {
            return "cost per unit weight (FP \(ReportVocabulary.plain(cost.costFP)), FN \(ReportVocabulary.plain(cost.costFN))): "
                + "\(NumberText.fixed(cost.costAtBayesThreshold, c)) at the Bayes threshold \(NumberText.fixed(cost.bayesThreshold, t))\n"
                + "best: \(best) costs \(NumberText.fixed(cost.bestCost, c)); regret \(NumberText.fixed(cost.regret, c))"
        }
        return "A false positive costs A = \(ReportVocabulary.plain(cost.costFP)) and a false negative B = \(ReportVocabulary.plain(cost.costFN)); "
            + "the cost per unit weight is (A·FP + B·FN) / W. At the Bayes threshold \(NumberText.fixed(cost.bayesThreshold, t)) = A / (A + B), "
            + "where a calibrated model is cheapest, the cost is \(NumberText.fixed(cost.costAtBayesThreshold, c)); "
            + "the best, \(best), costs \(NumberText.fixed(cost.bestCost, c)). "
            + "Regret \(NumberText.fixed(cost.regret, c)): what miscalibration costs at the Bayes threshold."
    }

    /// The terminal's ranking block in 80 columns: the headline values, one
    /// line per alert budget ("top 0.5%: recall 0.41 at precision 0.62,
    /// threshold 0.870"), the recall at each precision and FPR target on one
    /// line each, the undefined values with their reasons, the cost and the
    /// sketch's bound. Multiclass: the headline values and the weakest class.
    /// `nil` without ranking. Rows are raw; the terminal wraps them.
    static func rankingCompact(_ report: Report) -> ReportTable? {
        guard let ranking = report.findings.ranking else { return nil }
        let k = ranking.metrics
        let d = ReportVocabulary.operatingPointDigitsCompact
        var rows: [[ReportCell]] = TextWrap.pack(rankingHeadlineItems(ranking, result: report.result), width: TerminalRenderer.width - 2).map { [.value($0)] }
        if ranking.positiveClass == nil {
            let defined = k.perClass.indices.filter { k.perClass[$0].rocAUC.isFinite && $0 < report.result.classNames.count }
            if let weakest = defined.min(by: { k.perClass[$0].rocAUC < k.perClass[$1].rocAUC }) {
                rows.append([.value("weakest class: '"), .text(report.result.classNames[weakest],
                    "' (AUC \(ReportVocabulary.formattedRanking("rocAUC", k.perClass[weakest].rocAUC)), AP \(ReportVocabulary.formattedRanking("averagePrecision", k.perClass[weakest].averagePrecision)))")])
            }
        }
        for point in ranking.operatingPoints where point.kind == .top {
            var line = "\(point.label): recall \(NumberText.fixed(point.recall, d)) at precision \(NumberText.fixed(point.precision, d)), "
                + "threshold \(NumberText.fixed(point.threshold, ReportVocabulary.thresholdDigitsCompact))"
            if point.flagged > point.target + 1e-12 { line += " (\(ReportVocabulary.share(point.flagged)) flagged: ties)" }
            rows.append([.value(line)])
        }
        for (kind, head) in [(OperatingPoint.Kind.precision, "precision ≥"), (.fpr, "FPR ≤")] {
            let points = ranking.operatingPoints.filter { $0.kind == kind }
            // Nine targets a line: a label column of 12 and columns of 7.
            for start in stride(from: 0, to: points.count, by: 9) {
                let chunk = points[start..<Swift.min(points.count, start + 9)]
                rows.append([.value(NumberText.padRight(head, 12) + chunk.map { NumberText.pad(ReportVocabulary.share($0.target), 7) }.joined())])
                rows.append([.value(NumberText.padRight("  recall", 12) + chunk.map { NumberText.pad(NumberText.fixed($0.recall, d), 7) }.joined())])
            }
        }
        rows += rankingUndefined(ranking)
        if let cost = k.cost { rows += costText(cost, compact: true).split(separator: "\n").map { [.value(String($0))] } }
        if let note = ranking.sketchNote { rows.append([.value(note)]) }
        return lines(title: "Ranking", detail: rankingDetail(ranking, classes: report.result.classNames.count), rows)
    }

    /// The ranking section's opening for Markdown and HTML: what is ranked
    /// and the headline values (each undefined one with its reason). `nil` without ranking.
    static func rankingSummary(_ report: Report) -> ReportTable? {
        guard let ranking = report.findings.ranking else { return nil }
        var rows: [[ReportCell]] = []
        if let positive = ranking.positiveClass {
            rows.append([.value("Rows ranked by the score of '"), .text(positive, "', flagged when the score is at or above a threshold.")])
        } else {
            rows.append([.value("Each class ranked one-versus-rest by its probability; per class in the per-class table.")])
        }
        rows.append([.value(rankingHeadlineText(ranking, result: report.result, compact: false) + ".")])
        for group in UndefinedReasons.grouped(ranking.undefined) {
            let labels = group.keys.map { rankingLabels[$0] ?? $0 }
            let text = ReportFindings.joinedList(labels)
            rows.append([.value(text.prefix(1).uppercased() + text.dropFirst() + (labels.count > 1 ? " are" : " is") + " undefined: "), .text(group.reason + ".")])
        }
        return lines(title: "Ranking", rows)
    }

    /// The sketch's note as a sentence, for the formats that set it apart;
    /// `nil` when the ranking is exact or absent.
    static func rankingSketchSentence(_ report: Report) -> String? {
        report.findings.ranking?.sketchNote.map { $0.prefix(1).uppercased() + $0.dropFirst() + " (the score store exceeded its memory budget)." }
    }

    /// The operating points of a binary ranking (empty for multiclass): the
    /// precision targets, the FPR targets and the alert budgets, each with its
    /// recall, precision, false-positive rate, share flagged and threshold;
    /// an undefined point's recall cell says why.
    static func operatingPoints(_ report: Report) -> ReportTable {
        let points = report.findings.ranking?.operatingPoints ?? []
        let d = ReportVocabulary.operatingPointDigits
        return ReportTable(title: "Operating points",
            columns: [.init(title: .value("operating point"), numeric: false, width: nil), .init(title: .value("recall"), numeric: true, width: nil),
                      .init(title: .value("precision"), numeric: true, width: nil), .init(title: .value("false-positive rate"), numeric: true, width: nil),
                      .init(title: .value("flagged"), numeric: true, width: nil), .init(title: .value("threshold"), numeric: true, width: nil)],
            rows: points.map { p in
                [.value(p.label), p.undefinedReason.map { .status(.undefined(reason: $0)) } ?? .value(NumberText.fixed(p.recall, d)),
                 .value(NumberText.fixed(p.precision, d)), .value(NumberText.fixed(p.fpr, d)), .value(ReportVocabulary.share(p.flagged)),
                 .value(NumberText.fixed(p.threshold, ReportVocabulary.thresholdDigits))]
            })
    }

    /// The cost paragraph (binary, with costs); `nil` otherwise.
    static func costSummary(_ report: Report) -> ReportTable? {
        guard let cost = report.findings.ranking?.metrics.cost else { return nil }
        return lines(title: "Cost", [[.value(costText(cost, compact: false))]])
    }
}
