import CalibInput
import CalibReport

/// The one path from finished reports to everywhere a run sends them, for
/// every subcommand: the `-o` files, JUnit XML, the `--report-dir` folder,
/// GitHub Actions annotations and step summary, and standard output. Generic
/// over the report type (`DeliverableReport`): `calib audit`'s `Report`,
/// `calib compare`'s `ComparisonReport`.
///
/// A write that fails is collected rather than thrown, so the other outputs
/// are still written; ``finish(batchSummary:gitHub:)`` prints the failures and
/// returns the run's ``ExitStatus`` (74 first, then the first unreadable
/// input's 65 or 66, then 1 for a failed gate).
///
/// The `-o` files are opened as temporary files (``AtomicFile``) when the
/// delivery is made, before any input is read: an unwritable path shows at
/// once, and a signal during a long read removes them.
final class ReportDelivery<R: DeliverableReport> {
    /// Renders one report in a format (audit's reports, losses' tables, compare's comparison).
    typealias Renderer = (_ report: R, _ format: ReportFormat, _ colour: Bool) -> String

    private let render: Renderer
    private let format: ReportFormat
    private let colour: Bool
    private let directory: ReportDirectory?
    private var reportFiles: [(file: AtomicFile, format: ReportFormat)] = []
    private var junitFiles: [AtomicFile] = []
    /// The reports so far, with the index of their input (for report names).
    private var reports: [(input: Int, report: R)] = []
    /// Each report as printed on standard output, in input order.
    private var printed: [String] = []
    private var inputFailures: [ExitStatus] = []
    private var outputFailures: [OutputError] = []

    /// `format` is what standard output carries; `reportOutputs` and
    /// `junitOutputs` are the `-o` files.
    init(format: ReportFormat, reportOutputs: [(path: String, format: ReportFormat)], junitOutputs: [String] = [],
         directory: ReportDirectory? = nil, render: @escaping Renderer) {
        self.format = format
        self.render = render
        self.directory = directory
        colour = format == .terminal && standardOutputWantsColour
        for (path, format) in reportOutputs {
            collect { reportFiles.append((try AtomicFile(path), format)) }
        }
        for path in junitOutputs {
            collect { junitFiles.append(try AtomicFile(path)) }
        }
    }

    /// The reports delivered so far, in input order.
    var deliveredReports: [R] { reports.map(\.report) }

    /// Writes a report to the `-o` files and keeps it for standard output,
    /// JUnit, the report folder and GitHub.
    func deliver(_ report: R, input: Int) {
        reports.append((input, report))
        for (file, format) in reportFiles {
            collect { try file.commit(render(report, format, false)) }
        }
        printed.append(render(report, format, colour))
    }

    /// An input that could not be read: its error and hint on standard error,
    /// and its exit status kept for the end of the run.
    func failed(_ error: InputError) {
        printInputError(error)
        inputFailures.append(ExitStatus(code: error.exitCode))
    }

    /// Writes what covers every input (JUnit XML, the report folder, the
    /// batch summary after `inputs` inputs when there were several, GitHub
    /// annotations and step summary when `gitHub` and running under GitHub
    /// Actions), then standard output; prints every write failure and returns
    /// the run's status.
    func finish(batchSummary inputs: Int? = nil, gitHub: Bool = false) -> ExitStatus {
        let all = deliveredReports
        for file in junitFiles {
            collect { try file.commit(JUnitRenderer.render(all)) }
        }
        if let directory { outputFailures += directory.write(reports) }
        if let inputs, inputs > 1, format == .terminal, let summary = R.batchSummary(all, failedInputs: inputs - all.count) {
            printed.append(summary)
        }
        var stdout = printed.joined(separator: "\n")
        if gitHub && GitHubActions.isActive {
            let annotations = GitHubActions.annotations(all)
            if !annotations.isEmpty {
                // Workflow commands on stdout, unless stdout carries a machine-readable document.
                if format == .terminal {
                    stdout += annotations.joined(separator: "\n") + "\n"
                } else {
                    for line in annotations { printLine(line, to: 2) }
                }
            }
            collect {
                let summary = R.stepSummary(all)
                if !summary.isEmpty { try GitHubActions.appendStepSummary(summary) }
            }
        }
        collect { try writeStandardOutput(stdout) }
        for failure in outputFailures { printError(failure.description) }
        return ExitStatus.of(outputFailed: !outputFailures.isEmpty, inputFailures: inputFailures,
                             gatesFailed: all.contains(where: \.failsGates))
    }

    /// Runs a write, keeping its ``OutputError`` instead of throwing it.
    private func collect(_ write: () throws -> Void) {
        do { try write() } catch let error as OutputError { outputFailures.append(error) } catch {
            outputFailures.append(OutputError(path: "<output>", reason: "\(error)"))
        }
    }
}

/// What `ReportDelivery` and `ReportDirectory` need of a subcommand's
/// report type beyond its gates (`GatedReport`) and a renderer.
protocol DeliverableReport: GatedReport {
    /// The terminal summary after several inputs, or `nil` for none.
    static func batchSummary(_ reports: [Self], failedInputs: Int) -> String?
    /// The Markdown appended to `$GITHUB_STEP_SUMMARY` for a run's reports.
    static func stepSummary(_ reports: [Self]) -> String
    /// The report as one of the folder's pages (`.html`, `.md`, `.json`).
    func page(_ format: ReportFormat) -> String
    /// The folder's `index.html` or `index.md` linking each report's page.
    static func index(_ entries: [(report: Self, link: String)], format: ReportFormat) -> String
}

extension Report: DeliverableReport {
    static func batchSummary(_ reports: [Report], failedInputs: Int) -> String? {
        TerminalRenderer.batchSummary(reports, failedInputs: failedInputs)
    }

    static func stepSummary(_ reports: [Report]) -> String {
        reports.count > 1
            ? ([MarkdownRenderer.renderIndex(reports.map { ($0, "#") })] + reports.map(MarkdownRenderer.render)).joined(separator: "\n")
            : reports.map(MarkdownRenderer.render).joined()
    }

    func page(_ format: ReportFormat) -> String {
        switch format {
        case .html: HTMLRenderer.render(self)
        case .markdown: MarkdownRenderer.render(self)
        default: JSONReportRenderer.render(self)
        }
    }

    static func index(_ entries: [(report: Report, link: String)], format: ReportFormat) -> String {
        format == .html ? HTMLRenderer.renderIndex(entries) : MarkdownRenderer.renderIndex(entries)
    }
}
