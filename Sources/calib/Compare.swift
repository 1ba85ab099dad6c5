import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib compare BASELINE CANDIDATE` (SPEC section 11): both files audited
/// in full, every interval key's paired delta with its interval and verdict,
/// DeLong's and McNemar's tests; delivered as `calib audit` delivers (stdout,
/// `-o`, `--report-dir`, JUnit, GitHub annotations and step summary, exit status).
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare a candidate model's scores with a baseline's on the same rows.",
        discussion: """
            BASELINE and CANDIDATE are score files of the same labelled rows (CSV, TSV or JSON Lines, \
            optionally gzip-compressed; - reads standard input for one of them). Rows pair by position \
            (labels and weights must agree row by row), or by an id column with --join-on ID (rows in one \
            file only are counted, listed and gateable as unmatchedRows). Both files are read into memory.

            Each delta is candidate − baseline with the paired Poisson bootstrap's basic interval (the same \
            draws for both models) and a verdict: better, worse or no detectable difference by the key's \
            direction (differs for keys with no better direction). Gates: delta.KEY, delta.KEY.lower, \
            delta.KEY.upper, unmatchedRows, and any audit key for the candidate \
            (--fail-on 'delta.ece.lower>0' fails when the candidate is significantly worse calibrated).
            """
    )

    @Argument(help: ArgumentHelp("The baseline's score file (the model in production).", valueName: "baseline"))
    var baseline: String

    @Argument(help: ArgumentHelp("The candidate's score file, of the same rows.", valueName: "candidate"))
    var candidate: String

    @Option(help: ArgumentHelp("Pair rows by this id column instead of by position.", valueName: "column"))
    var joinOn: String?

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Metrics")
    var metrics: MetricOptionGroup

    @OptionGroup(title: "Ranking and operating points")
    var ranking: RankingOptionGroup

    @OptionGroup(title: "Intervals")
    var intervals: IntervalOptionGroup

    @OptionGroup(title: "Gates")
    var gateOptions: GateOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        if baseline == "-" && candidate == "-" { throw ValidationError("standard input (-) can be read only once") }
        if joinOn == "" { throw optionError("--join-on", "", "needs a column name") }
        if metrics.group != nil { throw ValidationError("--group is not supported by calib compare; audit the segments with calib audit") }
    }

    func run() throws {
        let gates = try gateOptions.loadOrExit().gates
        let options = try input.readOptions()
        let settings = try metrics.settings()
        let rankingSettings = try ranking.settings()
        let bootstrap = try intervals.settings()

        let name = "\(ReportDirectory.safeName(baseline))-vs-\(ReportDirectory.safeName(candidate)).compare"
        let directory = output.reportDir.map { ReportDirectory(folder: $0, inputs: [name]) }
        if let directory, let clash = directory.collision(with: output.output) {
            printError("-o \(InputError.quoted(clash)): --report-dir \(InputError.quoted(directory.folder)) writes a file of that name; choose another name or folder")
            throw ExitStatus.usage.exitCode
        }
        let delivery = ReportDelivery<ComparisonReport>(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                                        directory: directory) { $0.rendered($1, colour: $2) }
        do {
            let paired = try PairedInput(baseline: input.location(baseline), candidate: input.location(candidate), options: options, joinOn: joinOn)
            let comparison = paired.audit(settings: settings, ranking: rankingSettings, bootstrap: bootstrap, threads: options.threads)
            var report = ComparisonReport(baseline: paired.baselineSummary, candidate: paired.candidateSummary, comparison: comparison,
                                          joinColumn: joinOn, pairedRows: paired.count, unmatched: paired.unmatched)
            do {
                let outcomes = try ComparisonGateEvaluator.evaluate(gates, report: report)
                report = ComparisonReport(baseline: paired.baselineSummary, candidate: paired.candidateSummary, comparison: comparison,
                                          joinColumn: joinOn, pairedRows: paired.count, unmatched: paired.unmatched, gates: outcomes)
            } catch {
                printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            delivery.deliver(report, input: 0)
        } catch let error as InputError {
            delivery.failed(error)
        }
        let status = delivery.finish(gitHub: true)
        if status != .success { throw status.exitCode }
    }
}

extension ComparisonReport: DeliverableReport {
    func rendered(_ format: ReportFormat, colour: Bool) -> String {
        switch format {
        case .terminal: ComparisonRenderer.terminal(self, colour: colour)
        case .markdown: ComparisonRenderer.markdown(self)
        case .html: ComparisonRenderer.html(self)
        case .json: ComparisonRenderer.json(self)
        case .junit: JUnitRenderer.render([self])
        }
    }

    static func batchSummary(_ reports: [ComparisonReport], failedInputs: Int) -> String? { nil }

    static func stepSummary(_ reports: [ComparisonReport]) -> String { reports.map(ComparisonRenderer.markdown).joined(separator: "\n") }

    func page(_ format: ReportFormat) -> String { rendered(format, colour: false) }

    static func index(_ entries: [(report: ComparisonReport, link: String)], format: ReportFormat) -> String {
        format == .html ? ComparisonRenderer.htmlIndex(entries) : ComparisonRenderer.markdownIndex(entries)
    }
}
