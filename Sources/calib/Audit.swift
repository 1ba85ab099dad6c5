import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib audit FILE…`: every metric and the imbalance section, as reports,
/// with gates for CI and segments; several files make a batch.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit the calibration and accuracy of predicted probabilities.",
        discussion: """
            FILE is a CSV, TSV or JSON Lines file (optionally gzip-compressed), a glob such as \
            'scores/*.csv', or - for standard input. Several files are audited one after another; \
            the terminal output ends with a summary table, and with --format json each report is one \
            JSON document, printed in turn. Exit 1 when any --fail-on gate fails for any file.
            """
    )

    @Argument(help: ArgumentHelp("Input files or globs; - reads standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Gates")
    var gateOptions: GateOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Name at least one input file (or - for standard input).") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read only once.") }
        if files.count > 1 && !output.reportOutputs.isEmpty {
            throw ValidationError("-o writes the report of one input (or JUnit XML for all); with several inputs use --report-dir.")
        }
    }

    func run() throws {
        // Gates first: a bad gate or config file is a usage error before any reading.
        let gates: [GateExpression]
        let minSegmentRows: Int
        do {
            (gates, minSegmentRows) = try gateOptions.load()
        } catch let problem as ConfigFile.Problem {
            printError(problem.description)
            throw ExitCode(problem.exitCode)
        } catch let error as GateError {
            printError(error.description)
            throw ExitCode(64)
        }

        var paths: [String] = []
        for file in files {
            guard let expanded = expandGlob(file), !expanded.isEmpty else {
                printError("\(file): no file matches this pattern")
                throw ExitCode(66)
            }
            paths += expanded
        }
        if paths.count > 1 && !output.reportOutputs.isEmpty {
            printError("-o writes the report of one input (or JUnit XML for all); these patterns match \(paths.count) files: use --report-dir")
            throw ExitCode(64)
        }

        var reports: [Report] = []
        var printed: [String] = []
        var outputFailures: [OutputError] = []
        var inputFailure: Int32?
        let progress = ProgressLine()
        let colour = output.format == .terminal && standardOutputWantsColour

        for path in paths {
            let location: InputLocation = path == "-" ? .standardInput : .file(path)
            let outcome: InputAudit.Outcome
            do {
                outcome = try InputAudit.audit(location, options: input.readOptions, settings: input.settings) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
            } catch let error as InputError {
                progress.clear()
                printInputError(error)
                inputFailure = inputFailure ?? error.exitCode
                continue
            }
            let outcomes: [GateOutcome]
            do {
                outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: minSegmentRows)
            } catch {
                printError(error.description)
                throw ExitCode(64)
            }
            let report = Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: minSegmentRows, gates: outcomes)
            reports.append(report)
            for (path, format) in output.reportOutputs {
                do {
                    try writeAtomically(render(report, as: format, colour: false), to: path)
                } catch let error as OutputError { outputFailures.append(error) }
            }
            printed.append(render(report, as: output.format, colour: colour))
        }

        for path in output.junitOutputs {
            do { try writeAtomically(JUnitRenderer.render(reports), to: path) } catch let error as OutputError { outputFailures.append(error) }
        }
        if let folder = output.reportDir {
            outputFailures += writeReportDirectory(folder, reports: reports, junit: !gates.isEmpty)
        }
        if output.format == .terminal && paths.count > 1 {
            printed.append(BatchSummary.render(reports, failedInputs: paths.count - reports.count))
        }
        var stdout = printed.joined(separator: "\n")
        if GitHubActions.isActive {
            let annotations = GitHubActions.annotations(reports)
            if !annotations.isEmpty {
                // Workflow commands on stdout, unless stdout carries a machine-readable document.
                if output.format == .terminal {
                    stdout += annotations.joined(separator: "\n") + "\n"
                } else {
                    for line in annotations { printLine(line, to: 2) }
                }
            }
            do {
                let summary = reports.count > 1
                    ? ([MarkdownRenderer.renderIndex(reports.map { ($0, "#") })] + reports.map(MarkdownRenderer.render)).joined(separator: "\n")
                    : reports.map(MarkdownRenderer.render).joined()
                if !summary.isEmpty { try GitHubActions.appendStepSummary(summary) }
            } catch let error as OutputError { outputFailures.append(error) }
        }
        do {
            try writeStandardOutput(stdout)
        } catch let error as OutputError {
            outputFailures.append(error)
        }
        if !outputFailures.isEmpty {
            for failure in outputFailures { printError(failure.description) }
            throw ExitCode(74)
        }
        if let inputFailure { throw ExitCode(inputFailure) }
        if reports.contains(where: \.failsGates) { throw ExitCode(1) }
    }

    /// Writes `<name>.html`, `.md` and `.json` per input, `index.html`/`index.md`
    /// comparing them and, with gates, `junit.xml`. Returns the writes that
    /// failed; the others still happen.
    private func writeReportDirectory(_ folder: String, reports: [Report], junit: Bool) -> [OutputError] {
        do { try makeDirectory(folder) } catch let error as OutputError { return [error] } catch { return [] }
        var failures: [OutputError] = []
        var used: Set<String> = []
        var entries: [(report: Report, link: String)] = []
        func write(_ text: String, _ name: String) {
            do { try writeAtomically(text, to: "\(folder)/\(name)") } catch let error as OutputError { failures.append(error) } catch {}
        }
        for report in reports {
            var name = reportName(report)
            if used.contains(name) {
                var n = 2
                while used.contains("\(name)-\(n)") { n += 1 }
                name = "\(name)-\(n)"
            }
            used.insert(name)
            write(HTMLRenderer.render(report), "\(name).html")
            write(MarkdownRenderer.render(report), "\(name).md")
            write(JSONReportRenderer.render(report), "\(name).json")
            entries.append((report, "\(name).html"))
        }
        write(HTMLRenderer.renderIndex(entries), "index.html")
        write(MarkdownRenderer.renderIndex(entries.map { ($0.report, String($0.link.dropLast(5)) + ".md") }), "index.md")
        if junit { write(JUnitRenderer.render(reports), "junit.xml") }
        return failures
    }

    /// A report's file name: the input's name without folders, `.gz` or extension (`-` is `stdin`).
    private func reportName(_ report: Report) -> String {
        var name = report.shortName
        if name == "<stdin>" { return "stdin" }
        if name.lowercased().hasSuffix(".gz") { name.removeLast(3) }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name.isEmpty ? "input" : name
    }
}
