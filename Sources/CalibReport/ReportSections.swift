import CalibCore

/// One cell of a ``ReportTable``: text from the input (a class name, a
/// segment value), escaped by each format's writer, followed by calib's own
/// text (numbers, labels), written as it is.
struct ReportCell: Sendable, Hashable {
    var input: String = ""
    var own: String = ""
    /// A state each format words in its own way (``ReportTable`` writers).
    var status: Status?

    enum Status: Sendable, Hashable {
        /// A segment with too few rows to be gated or flagged.
        case smallSegment
        /// A segment flagged as overconfident.
        case overconfidentSegment
    }

    /// A cell holding only a state.
    static func status(_ status: Status?) -> ReportCell { ReportCell(status: status) }

    /// calib's own text: a formatted number, a label.
    static func value(_ text: String) -> ReportCell { ReportCell(own: text) }
    /// Text from the input, then `suffix` of calib's own.
    static func text(_ text: String, _ suffix: String = "") -> ReportCell { ReportCell(input: text, own: suffix) }
}

/// A section's table, format-neutral: built once from the report by a
/// ``ReportSections`` function and written by each format (``terminalLines(into:)``,
/// ``markdown()``, ``html()``). Other columns (names, labels, states) are left-aligned;
/// `numeric` columns are right-aligned.
struct ReportTable: Sendable {
    struct Column: Sendable {
        var title: ReportCell
        var numeric: Bool
        /// Columns in the 80-column terminal table (left-padded when numeric,
        /// cut on the right otherwise); `nil`: written as it is after two spaces.
        var width: Int?
    }

    var columns: [Column]
    var rows: [[ReportCell]]
    /// Lines after the table, in calib's words (e.g. "… 3 more classes in the JSON report").
    var notes: [String] = []

    // MARK: Writers

    /// The table as terminal lines, indented by two spaces.
    func terminalLines(into lines: inout TerminalLines) {
        func line(_ cells: [ReportCell]) -> String {
            "  " + zip(columns, cells).map { column, cell in
                let text = TextEscaping.plain(cell.input) + cell.own + Self.terminalWords(cell.status)
                guard let width = column.width else { return "  " + text }
                return column.numeric ? NumberText.pad(text, width) : NumberText.padRight(text, width)
            }.joined()
        }
        lines.append(line(columns.map(\.title)))
        for row in rows { lines.append(line(row)) }
        for note in notes { lines.append("  " + note) }
    }

    /// The table as a GitHub-flavoured Markdown table.
    func markdown() -> [String] {
        func text(_ cell: ReportCell) -> String { TextEscaping.markdown(cell.input) + cell.own + Self.markdownWords(cell.status) }
        func line(_ cells: [ReportCell]) -> String { "| " + cells.map(text).joined(separator: " | ") + " |" }
        // An empty heading is "| |", as GitHub writes it.
        let header = "|" + columns.map { column in text(column.title).isEmpty ? " |" : " \(text(column.title)) |" }.joined()
        var out = [header, "|" + columns.map { $0.numeric ? "---:|" : "---|" }.joined()]
        out += rows.map(line)
        return out
    }

    /// The table as HTML, in its scrolling wrapper.
    func html() -> String {
        let cell = { (c: ReportCell) in TextEscaping.html(c.input) + c.own + Self.htmlWords(c.status) }
        return HTMLRenderer.table(columns.map { cell($0.title) }, numeric: columns.indices.filter { columns[$0].numeric },
            rows: rows.map { $0.map(cell) })
    }
}

extension ReportTable {
    /// A state in the terminal's few columns.
    static func terminalWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "small"
        case .overconfidentSegment: "⚑ over"
        case nil: ""
        }
    }

    /// A state in a Markdown cell.
    static func markdownWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "too small to gate"
        case .overconfidentSegment: "⚑ overconfident"
        case nil: ""
        }
    }

    /// A state in an HTML cell, coloured by the page's classes.
    static func htmlWords(_ status: ReportCell.Status?) -> String {
        switch status {
        case .smallSegment: "too small to gate"
        case .overconfidentSegment: "<span class=\"fail\">overconfident</span>"
        case nil: ""
        }
    }
}

/// The sections every report has, each built once from the report as a
/// ``ReportTable`` and written by the terminal, Markdown and HTML renderers.
/// `compact` is the 80-column terminal form: shorter titles, fewer digits,
/// columns the line has no room for left out.
enum ReportSections {
    /// The terminal shows at most this many classes (the rarest ones).
    static let compactClassLimit = 12

    /// Per class: support, prior, precision, recall, F1, ECE and cross-entropy
    /// (the full form adds the row count). The compact form shows the
    /// ``compactClassLimit`` rarest classes when there are more.
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
        return ReportTable(
            columns: [.init(title: .value("class"), numeric: false, width: nil), .init(title: .value("rows"), numeric: true, width: nil)]
                + keys.map { .init(title: .value($0.display.label), numeric: true, width: nil) },
            rows: r.perClass.map { c in
                [.text(c.name), .value(NumberText.count(c.rows))] + keys.map { .value(ReportVocabulary.formatted($0, $0.value(in: c))) }
            })
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
    /// the over-confidence). The compact form shows the first ``compactSegmentLimit``.
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
}
