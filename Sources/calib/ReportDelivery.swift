import CalibInput
import CalibReport

/// The one path from finished reports to everywhere a run sends them, for
/// every subcommand: the `-o` files, JUnit XML, the `--report-dir` folder,
/// GitHub Actions annotations and step summary, and standard output.
///
/// A write that fails is collected rather than thrown, so the other outputs
/// are still written; ``finish(batchSummary:gitHub:)`` prints the failures and
/// returns the run's ``ExitStatus`` (74 first, then the first unreadable
/// input's 65 or 66, then 1 for a failed gate).
///
/// The `-o` files are opened as temporary files (``AtomicFile``) when the
/// delivery is made, before any input is read: an unwritable path shows at
/// once, and a signal during a long read removes them.
final class ReportDelivery {
    /// Renders one report in a format (audit's reports, or losses' tables).
    typealias Renderer = (_ report: Report, _ format: ReportFormat, _ colour: Bool) -> String

    private let render: Renderer
    private let format: ReportFormat
    private let colour: Bool
    private let directory: ReportDirectory?
    private var reportFiles: [(file: AtomicFile, format: ReportFormat)] = []
    private var junitFiles: [AtomicFile] = []
    /// The reports so far, with the index of their input (for report names).
    private var reports: [(input: Int, report: Report)] = []
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
    var deliveredReports: [Report] { reports.map(\.report) }

    /// Writes a report to the `-o` files and keeps it for standard output,
    /// JUnit, the report folder and GitHub.
    func deliver(_ report: Report, input: Int) {
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
        if let inputs, inputs > 1, format == .terminal {
            printed.append(TerminalRenderer.batchSummary(all, failedInputs: inputs - all.count))
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
                let summary = all.count > 1
                    ? ([MarkdownRenderer.renderIndex(all.map { ($0, "#") })] + all.map(MarkdownRenderer.render)).joined(separator: "\n")
                    : all.map(MarkdownRenderer.render).joined()
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
