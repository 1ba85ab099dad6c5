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
        var reports: [Report] = []
        var failures: [OutputError] = []
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
            reports.append(report)
            for path in output.output {
                do {
                    try writeAtomically(render(report, as: try ReportFormat.forPath(path), colour: false), to: path)
                } catch let error as OutputError {
                    failures.append(error)
                }
            }
            printed.append(render(report, as: output.format, colour: output.format == .terminal && standardOutputWantsColour))
        }
        if let folder = output.reportDir {
            failures += writeReportDirectory(folder, reports: reports)
        }
        do {
            try writeStandardOutput(printed.joined(separator: "\n"))
        } catch let error as OutputError {
            failures.append(error)
        }
        if !failures.isEmpty {
            for failure in failures { printError(failure.description) }
            throw ExitCode(74)
        }
    }

    /// Writes `<name>.html`, `.md` and `.json` per input and `index.html`/`index.md`
    /// comparing them. Returns the writes that failed; the others still happen.
    private func writeReportDirectory(_ folder: String, reports: [Report]) -> [OutputError] {
        do { try makeDirectory(folder) } catch let error as OutputError { return [error] } catch { return [] }
        var failures: [OutputError] = []
        var used: Set<String> = []
        var entries: [(report: Report, link: String)] = []
        for report in reports {
            var name = reportName(report.input.source)
            if used.contains(name) {
                var n = 2
                while used.contains("\(name)-\(n)") { n += 1 }
                name = "\(name)-\(n)"
            }
            used.insert(name)
            for (format, ext) in [(ReportFormat.html, "html"), (.markdown, "md"), (.json, "json")] {
                do {
                    try writeAtomically(render(report, as: format, colour: false), to: "\(folder)/\(name).\(ext)")
                } catch let error as OutputError {
                    failures.append(error)
                } catch {}
            }
            entries.append((report, "\(name).html"))
        }
        do {
            try writeAtomically(HTMLRenderer.renderIndex(entries), to: "\(folder)/index.html")
            try writeAtomically(MarkdownRenderer.renderIndex(entries.map { ($0.report, String($0.link.dropLast(5)) + ".md") }), to: "\(folder)/index.md")
        } catch let error as OutputError {
            failures.append(error)
        } catch {}
        return failures
    }

    /// A report's file name: the input's name without folders, `.gz` or extension (`-` is `stdin`).
    private func reportName(_ source: String) -> String {
        var name = String(source.split(separator: "/").last ?? "stdin")
        if name == "<stdin>" { return "stdin" }
        if name.lowercased().hasSuffix(".gz") { name.removeLast(3) }
        if let dot = name.lastIndex(of: "."), dot != name.startIndex { name = String(name[..<dot]) }
        return name.isEmpty ? "input" : name
    }
}
