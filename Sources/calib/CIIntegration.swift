import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// GitHub Actions: annotations for failed gates and the Markdown report in the step summary.
enum GitHubActions {
    static var isActive: Bool { environment("GITHUB_ACTIONS") == "true" }

    /// One `::error::` (or `::warning::`) line per failed gate: the title a
    /// workflow-command property and the message workflow-command data
    /// (``TextEscaping/githubProperty(_:limit:)``, ``TextEscaping/githubData(_:limit:)``),
    /// so no line break or control character from a file name, gate or reason
    /// can end the line and start a command of its own (`::stop-commands::`).
    static func annotations(_ reports: [any GatedReport]) -> [String] {
        var lines: [String] = []
        for report in reports {
            for gate in report.gates where !gate.passed {
                let kind = gate.severity == .error ? "error" : "warning"
                let message = "\(TextEscaping.plain(report.source, limit: 200)): \(gate.failureMessage)"
                lines.append("::\(kind) title=\(TextEscaping.githubProperty("calib gate: " + gate.expression))::\(TextEscaping.githubData(message))")
            }
        }
        return lines
    }

    /// Appends `markdown` to `$GITHUB_STEP_SUMMARY` when it is set.
    static func appendStepSummary(_ markdown: String) throws {
        guard let path = environment("GITHUB_STEP_SUMMARY"), !path.isEmpty else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw OutputError(path: path, reason: errorText(errno)) }
        defer { close(fd) }
        let failure = writeAll(markdown, to: fd)
        if failure != 0 { throw OutputError(path: path, reason: errorText(failure)) }
    }
}

func environment(_ name: String) -> String? {
    guard let value = getenv(name) else { return nil }
    return String(cString: value)
}

/// A progress line on standard error for long runs: only on a terminal, never in CI logs.
final class ProgressLine {
    private let enabled: Bool
    private var last: timespec = timespec()
    private var shown = false

    init() {
        enabled = isatty(2) != 0 && environment("CI") == nil && !GitHubActions.isActive
        clock_gettime(CLOCK_MONOTONIC, &last)
    }

    func update(_ file: String, rows: Int) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsed = Double(now.tv_sec - last.tv_sec) + Double(now.tv_nsec - last.tv_nsec) / 1e9
        guard elapsed >= 0.25 else { return }
        last = now
        shown = true
        let text = "\r\u{1B}[Kcalib: reading \(TextEscaping.plain(file, limit: 50)): \(rows) rows"
        _ = writeAll(text, to: 2)
    }

    func clear() {
        guard enabled && shown else { return }
        shown = false
        let text = "\r\u{1B}[K"
        _ = writeAll(text, to: 2)
    }
}

/// Expands an argument with `*`, `?` or `[` that names no file, as a shell would.
func expandGlob(_ pattern: String) -> [String]? {
    guard pattern.contains(where: { "*?[".contains($0) }), access(pattern, F_OK) != 0 else { return [pattern] }
    var result = glob_t()
    defer { globfree(&result) }
    guard glob(pattern, 0, nil, &result) == 0 else { return nil }
    var paths: [String] = []
    for i in 0..<Int(result.gl_pathc) {
        if let p = result.gl_pathv[i] { paths.append(String(cString: p)) }
    }
    return paths.sorted()
}
