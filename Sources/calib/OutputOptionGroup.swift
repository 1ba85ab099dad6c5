import ArgumentParser
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The report formats calib renders.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case terminal, markdown, html, json
    /// JUnit XML of the gates (`-o gates.xml`; not a `--format`).
    case junit

    static var allValueStrings: [String] { ["terminal", "markdown", "html", "json"] }

    /// The format an output file's extension names (case-insensitive).
    static func forPath(_ path: String) throws -> ReportFormat {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".txt") { return .terminal }
        if lowered.hasSuffix(".md") || lowered.hasSuffix(".markdown") { return .markdown }
        if lowered.hasSuffix(".html") || lowered.hasSuffix(".htm") { return .html }
        if lowered.hasSuffix(".xml") { return .junit }
        throw optionError("-o", path, "cannot tell the report format from the extension; use .json, .md, .html, .txt, or .xml for JUnit XML of the gates")
    }
}

/// The most `-o` files of one run (each is a temporary file while the input is read).
let outputLimit = 32

/// Where `calib audit` puts its reports.
struct OutputOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("What to print on standard output.", valueName: "terminal|markdown|html|json"))
    var format: ReportFormat = .terminal

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Also write a report to this file; the format follows the extension: .json, .md, .html, .txt, or .xml for JUnit XML of the gates. Repeatable.", valueName: "path"))
    var output: [String] = []

    @Option(help: ArgumentHelp("Write each input's reports (<name>.html, .md, .json), index.html and index.md comparing them, and junit.xml of the gates into this folder.", valueName: "dir"))
    var reportDir: String?

    /// The `-o` files that hold one input's report, with their formats (all but JUnit XML).
    var reportOutputs: [(path: String, format: ReportFormat)] {
        output.compactMap { path in (try? ReportFormat.forPath(path)).flatMap { $0 == .junit ? nil : (path, $0) } }
    }

    /// The `-o` files of JUnit XML, which cover every input of a run.
    var junitOutputs: [String] { output.filter { (try? ReportFormat.forPath($0)) == .junit } }

    func validate() throws {
        try validateOutputs(output)
        if format == .junit { throw optionError("--format", "junit", "JUnit XML is written with -o gates.xml, not printed") }
        if reportDir == "" { throw optionError("--report-dir", "", "needs a folder name") }
    }
}

/// Where `calib losses` puts its report: no folder of reports and no JUnit XML,
/// since it has neither several inputs nor gates.
struct LossOutputOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("What to print on standard output.", valueName: "terminal|markdown|html|json"))
    var format: ReportFormat = .terminal

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Also write the report to this file; the format follows the extension: .json, .md, .html or .txt. Repeatable.", valueName: "path"))
    var output: [String] = []

    /// The `-o` files with their formats (validated: JUnit XML is refused).
    var reportOutputs: [(path: String, format: ReportFormat)] {
        output.compactMap { path in (try? ReportFormat.forPath(path)).map { (path, $0) } }
    }

    func validate() throws {
        try validateOutputs(output)
        if let xml = output.first(where: { (try? ReportFormat.forPath($0)) == .junit }) {
            throw optionError("-o", xml, "JUnit XML holds the gates of calib audit; calib losses writes .json, .md, .html or .txt")
        }
        if format == .junit { throw optionError("--format", "junit", "not a format of calib losses; use terminal, markdown, html or json") }
    }
}

/// Every `-o` path has a known extension, and there are at most ``outputLimit``.
private func validateOutputs(_ paths: [String]) throws {
    for path in paths { _ = try ReportFormat.forPath(path) }
    if paths.count > outputLimit {
        throw ValidationError("-o is given \(paths.count) times; at most \(outputLimit) files can be written (use --report-dir for many inputs)")
    }
}

/// Renders a report in a format.
func render(_ report: Report, as format: ReportFormat, colour: Bool) -> String {
    switch format {
    case .terminal: TerminalRenderer.render(report, colour: colour)
    case .json: JSONReportRenderer.render(report)
    case .markdown: MarkdownRenderer.render(report)
    case .html: HTMLRenderer.render(report)
    case .junit: JUnitRenderer.render([report])
    }
}

/// Whether standard output wants colour: a terminal, and `NO_COLOR` unset.
var standardOutputWantsColour: Bool {
    isatty(1) != 0 && getenv("NO_COLOR") == nil
}

/// A report that could not be written (exit 74).
struct OutputError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write '\(path)': \(reason)" }
}

/// Writes to standard output; a closed or full stdout is an output error.
func writeStandardOutput(_ text: String) throws {
    let failure = writeAll(text, to: 1)
    if failure != 0 { throw OutputError(path: "<stdout>", reason: errorText(failure)) }
}
