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

    @OptionGroup(title: "Ranking and operating points")
    var ranking: RankingOptionGroup

    @OptionGroup(title: "Intervals")
    var intervals: IntervalOptionGroup

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
        let rankingSettings = try ranking.settings()
        let bootstrap = try intervals.settings()

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

        let delivery = ReportDelivery(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                      directory: directory) { render($0, as: $1, colour: $2) }
        let progress = ProgressLine()
        for (index, path) in paths.enumerated() {
            let location: InputLocation = path == "-" ? .standardInput : .file(path)
            let outcome: InputAudit.Outcome
            do {
                outcome = try InputAudit.audit(location, options: options, settings: settings, ranking: rankingSettings, bootstrap: bootstrap) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
            } catch let error as InputError {
                progress.clear()
                delivery.failed(error)
                continue
            }
            let outcomes: [GateOutcome]
            do {
                outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: minSegmentRows)
            } catch {
                printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            delivery.deliver(Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: minSegmentRows, gates: outcomes), input: index)
        }
        let status = delivery.finish(batchSummary: paths.count, gitHub: true)
        if status != .success { throw status.exitCode }
    }
}
