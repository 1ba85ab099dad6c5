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

    /// The format an output file's extension names.
    static func forPath(_ path: String) throws -> ReportFormat {
        let lowered = path.lowercased()
        if lowered.hasSuffix(".json") { return .json }
        if lowered.hasSuffix(".txt") { return .terminal }
        if lowered.hasSuffix(".md") || lowered.hasSuffix(".markdown") { return .markdown }
        if lowered.hasSuffix(".html") || lowered.hasSuffix(".htm") { return .html }
        if lowered.hasSuffix(".xml") { return .junit }
        throw ValidationError("cannot tell the report format of '\(path)' from its extension; use .json, .md, .html, .xml (JUnit) or .txt")
    }
}

/// Where reports go.
struct OutputOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("What to print on standard output.", valueName: "terminal|markdown|html|json"))
    var format: ReportFormat = .terminal

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Also write a report to this file; the format follows the extension (.json, .md, .html, .txt). Repeatable.", valueName: "path"))
    var output: [String] = []

    @Option(help: ArgumentHelp("Write each input's reports (.html, .md, .json) and an index comparing them into this folder.", valueName: "dir"))
    var reportDir: String?

    /// The `-o` files that hold one input's report, with their formats (all but JUnit XML).
    var reportOutputs: [(path: String, format: ReportFormat)] {
        output.compactMap { path in (try? ReportFormat.forPath(path)).flatMap { $0 == .junit ? nil : (path, $0) } }
    }

    /// The `-o` files of JUnit XML, which cover every input of a run.
    var junitOutputs: [String] { output.filter { (try? ReportFormat.forPath($0)) == .junit } }

    func validate() throws {
        for path in output { _ = try ReportFormat.forPath(path) }
        if format == .junit { throw ValidationError("JUnit XML is written with -o gates.xml, not printed with --format.") }
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

/// Creates a folder and its parents, as `mkdir -p`.
func makeDirectory(_ path: String) throws {
    var current = path.hasPrefix("/") ? "" : "."
    for part in path.split(separator: "/") {
        current += "/" + part
        if mkdir(current, 0o755) != 0 && errno != EEXIST {
            throw OutputError(path: path, reason: errorText(errno))
        }
    }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
        throw OutputError(path: path, reason: "it exists and is not a folder")
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same folder, then a rename.
func writeAtomically(_ text: String, to path: String) throws {
    let temporary = path + ".calib-tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw OutputError(path: path, reason: errorText(errno)) }
    var ok = true
    var failure: Int32 = 0
    text.utf8CString.withUnsafeBufferPointer { buffer in
        var offset = 0
        let total = buffer.count - 1
        while offset < total {
            let n = write(fd, buffer.baseAddress! + offset, total - offset)
            if n < 0 { if errno == EINTR { continue }; ok = false; failure = errno; return }
            offset += n
        }
    }
    if close(fd) != 0 && ok { ok = false; failure = errno }
    guard ok else {
        unlink(temporary)
        throw OutputError(path: path, reason: errorText(failure))
    }
    guard rename(temporary, path) == 0 else {
        let e = errno
        unlink(temporary)
        throw OutputError(path: path, reason: errorText(e))
    }
}

/// Writes to standard output; a closed or full stdout is an output error.
func writeStandardOutput(_ text: String) throws {
    var failure: Int32 = 0
    text.utf8CString.withUnsafeBufferPointer { buffer in
        var offset = 0
        let total = buffer.count - 1
        while offset < total {
            let n = write(1, buffer.baseAddress! + offset, total - offset)
            if n < 0 { if errno == EINTR { continue }; failure = errno; return }
            offset += n
        }
    }
    if failure != 0 { throw OutputError(path: "<stdout>", reason: errorText(failure)) }
}

func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

/// Prints `calib: error: …` on standard error.
func printError(_ message: String) {
    printLine("calib: error: \(message)", to: 2)
}

/// Prints an input error and, when it has one, its hint.
func printInputError(_ error: InputError) {
    printError(error.description)
    if let hint = error.hint { printLine("calib: hint: \(hint)", to: 2) }
}

/// Writes one line to a file descriptor, ignoring failures (for messages about failures).
func printLine(_ text: String, to descriptor: Int32) {
    let line = text + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress!, $0.count - 1) }
}
