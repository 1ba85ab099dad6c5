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

            --report-dir names each input's reports after its file name without folders, .gz and \
            extension; characters unsafe in file names, and a leading . or -, become _. A name \
            already taken (ignoring case) or 'index' gets -2, -3, …; an -o file may not be one \
            the folder gets (exit 64).
            """
    )

    @Argument(help: ArgumentHelp("Input files or globs; - reads standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Metrics")
    var metrics: MetricOptionGroup

    @OptionGroup(title: "Gates")
    var gateOptions: GateOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one input file (or - for standard input)") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        if files.count > 1 && !output.reportOutputs.isEmpty {
            throw ValidationError("-o writes the report of one input (or JUnit XML for all); with several inputs use --report-dir")
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
            throw problem.status.exitCode
        } catch let error as GateError {
            printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        var options = try input.readOptions()
        options.group = try metrics.segmentColumn()
        let settings = try metrics.settings()

        var paths: [String] = []
        for file in files {
            guard let expanded = expandGlob(file), !expanded.isEmpty else {
                printError("\(file): no file matches this pattern")
                throw ExitStatus.noInput.exitCode
            }
            paths += expanded
        }
        if paths.count > 1 && !output.reportOutputs.isEmpty {
            printError("-o writes the report of one input (or JUnit XML for all); these patterns match \(paths.count) files: use --report-dir")
            throw ExitStatus.usage.exitCode
        }
        let directory = output.reportDir.map { ReportDirectory(folder: $0, inputs: paths) }
        if let directory, let clash = directory.collision(with: output.output) {
            printError("-o \(InputError.quoted(clash)): --report-dir \(InputError.quoted(directory.folder)) writes a file of that name; choose another name or folder")
            throw ExitStatus.usage.exitCode
        }

        // The -o files exist as temporary files while the input is read: an
        // unwritable path shows at once, and a signal removes them.
        var outputFailures: [OutputError] = []
        var reportFiles: [(file: AtomicFile, format: ReportFormat)] = []
        var junitFiles: [AtomicFile] = []
        for (path, format) in output.reportOutputs {
            do { reportFiles.append((try AtomicFile(path), format)) } catch let error as OutputError { outputFailures.append(error) }
        }
        for path in output.junitOutputs {
            do { junitFiles.append(try AtomicFile(path)) } catch let error as OutputError { outputFailures.append(error) }
        }

        var reports: [(input: Int, report: Report)] = []
        var printed: [String] = []
        var inputFailures: [ExitStatus] = []
        let progress = ProgressLine()
        let colour = output.format == .terminal && standardOutputWantsColour

        for (index, path) in paths.enumerated() {
            let location: InputLocation = path == "-" ? .standardInput : .file(path)
            let outcome: InputAudit.Outcome
            do {
                outcome = try InputAudit.audit(location, options: options, settings: settings) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
            } catch let error as InputError {
                progress.clear()
                printInputError(error)
                inputFailures.append(ExitStatus(code: error.exitCode))
                continue
            }
            let outcomes: [GateOutcome]
            do {
                outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: minSegmentRows)
            } catch {
                printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            let report = Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: minSegmentRows, gates: outcomes)
            reports.append((index, report))
            for (file, format) in reportFiles {
                do { try file.commit(render(report, as: format, colour: false)) } catch let error as OutputError { outputFailures.append(error) }
            }
            printed.append(render(report, as: output.format, colour: colour))
        }

        let allReports = reports.map(\.report)
        for file in junitFiles {
            do { try file.commit(JUnitRenderer.render(allReports)) } catch let error as OutputError { outputFailures.append(error) }
        }
        if let directory {
            outputFailures += directory.write(reports)
        }
        if output.format == .terminal && paths.count > 1 {
            printed.append(TerminalRenderer.batchSummary(allReports, failedInputs: paths.count - reports.count))
        }
        var stdout = printed.joined(separator: "\n")
        if GitHubActions.isActive {
            let annotations = GitHubActions.annotations(allReports)
            if !annotations.isEmpty {
                // Workflow commands on stdout, unless stdout carries a machine-readable document.
                if output.format == .terminal {
                    stdout += annotations.joined(separator: "\n") + "\n"
                } else {
                    for line in annotations { printLine(line, to: 2) }
                }
            }
            do {
                let summary = allReports.count > 1
                    ? ([MarkdownRenderer.renderIndex(allReports.map { ($0, "#") })] + allReports.map(MarkdownRenderer.render)).joined(separator: "\n")
                    : allReports.map(MarkdownRenderer.render).joined()
                if !summary.isEmpty { try GitHubActions.appendStepSummary(summary) }
            } catch let error as OutputError { outputFailures.append(error) }
        }
        do {
            try writeStandardOutput(stdout)
        } catch let error as OutputError {
            outputFailures.append(error)
        }
        for failure in outputFailures { printError(failure.description) }
        let status = ExitStatus.of(outputFailed: !outputFailures.isEmpty, inputFailures: inputFailures,
                                   gatesFailed: allReports.contains(where: \.failsGates))
        if status != .success { throw status.exitCode }
    }
}
