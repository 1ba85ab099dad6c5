import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib audit FILE…`: every metric and the imbalance section, as a report.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit the calibration and accuracy of predicted probabilities.",
        discussion: """
            FILE is a CSV, TSV or JSON Lines file (optionally gzip-compressed), or - for standard input. \
            Several files are audited one after another; with --format json each report is one JSON \
            document, printed in turn.
            """
    )

    @Argument(help: ArgumentHelp("Input files; - reads standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("Name at least one input file (or - for standard input).") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("Standard input (-) can be read only once.") }
        if files.count > 1 && !output.output.isEmpty {
            throw ValidationError("-o writes the report of one input; run calib once per file to write several.")
        }
    }

    func run() throws {
        var printed: [String] = []
        for file in files {
            let location: InputLocation = file == "-" ? .standardInput : .file(file)
            let audited: (result: AuditResult, input: InputSummary)
            do {
                audited = try InputAudit.run(location, options: input.readOptions, settings: input.settings)
            } catch let error as InputError {
                printError(error.description)
                throw ExitCode(error.exitCode)
            }
            let report = Report(input: audited.input, result: audited.result)
            var failures: [OutputError] = []
            for path in output.output {
                do {
                    try writeAtomically(render(report, as: try ReportFormat.forPath(path), colour: false), to: path)
                } catch let error as OutputError {
                    failures.append(error)
                }
            }
            printed.append(render(report, as: output.format, colour: output.format == .terminal && standardOutputWantsColour))
            if !failures.isEmpty {
                for failure in failures { printError(failure.description) }
                try? writeStandardOutput(printed.joined(separator: "\n"))
                throw ExitCode(74)
            }
        }
        do {
            try writeStandardOutput(printed.joined(separator: "\n"))
        } catch let error as OutputError {
            printError(error.description)
            throw ExitCode(74)
        }
    }
}
