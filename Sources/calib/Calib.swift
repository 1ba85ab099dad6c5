import ArgumentParser
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Calib: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calib",
        abstract: "Calibration and imbalance diagnostics for classifier scores.",
        discussion: """
            Reads labels and predicted probabilities (or logits) from CSV, TSV or JSON Lines \
            and reports cross-entropy, accuracy, precision/recall, expected calibration error, \
            reliability bins and how class-weighted cross-entropy and focal loss treat each class.

            Exit codes: 0 success, 1 a --fail-on gate failed, 64 usage error, 65 malformed input, \
            66 input missing or unreadable, 74 output could not be written.
            """,
        version: ToolInfo.currentVersion,
        subcommands: [Audit.self, Merge.self, Compare.self, Fit.self, Apply.self, Prior.self, Losses.self],
        defaultSubcommand: nil
    )

    static func main() {
        // A closed pipe (`calib audit … | head`) must be a write error, not a signal exit.
        signal(SIGPIPE, SIG_IGN)
        TemporaryFiles.installSignalHandlers()
        // A part that shrinks while mapped for `calib merge` ends the run (exit 65): reports half written go too.
        MappedFiles.setCleanup { TemporaryFiles.removeAll() }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            TemporaryFiles.removeAll()
            exit(withUsageError: error)
        }
    }

    /// Ends the run for an error thrown by parsing or by a command. Help,
    /// `--version` and completion scripts print as ArgumentParser prints them
    /// (exit 0), an `ExitCode` ends silently (the command printed its message);
    /// every other error prints as calib's own do: `calib: error: …`, then a
    /// `calib: hint: …` line with the option's help or the usage and where to
    /// find more, and exit 64 for usage errors.
    static func exit(withUsageError error: any Error) -> Never {
        let code = exitCode(for: error)
        if code == .success || error is ExitCode { exit(withError: error) }
        let lines = fullMessage(for: error, columns: 1_000).split(separator: "\n").map { String($0).trimmingSpacesAndTabs() }
        let message = sentence(self.message(for: error))
        printError(message.isEmpty ? "unknown error" : message)
        // "See 'calib audit --help' for more information." names where to look.
        let helpCommand = lines.first { $0.hasPrefix("See '") }.flatMap { $0.split(separator: "'", omittingEmptySubsequences: false).dropFirst().first }
        let more = helpCommand.map { "; more in '\($0)'" } ?? ""
        if let help = lines.first(where: { $0.hasPrefix("Help:") }) {
            // "Help:  --bins <n>  Number of equal-width reliability bins."
            let parts = String(help.dropFirst(5)).trimmingSpacesAndTabs().split(separator: "  ", maxSplits: 1).map { String($0).trimmingSpacesAndTabs() }
            printHint(parts.count == 2 ? "\(parts[0]): \(sentence(parts[1]))\(more)" : sentence(parts.joined()) + more)
        } else if let usage = lines.first(where: { $0.hasPrefix("Usage:") }) {
            printHint("usage: " + String(usage.dropFirst(6)).trimmingSpacesAndTabs() + more)
        }
        terminate(code.rawValue)
    }

    /// ArgumentParser's messages in calib's style: a lowercase first word
    /// (`Unknown option` becomes `unknown option`; `JUnit` stays), no closing
    /// full stop, one sentence (`…'--bins'; did you mean '--beta'?`).
    static func sentence(_ text: String) -> String {
        var text = text.trimmingSpacesAndTabs()
        if text.hasSuffix(".") && !text.hasSuffix("..") { text.removeLast() }
        text = text.replacing(". Did you mean", with: "; did you mean")
        text = text.replacing(". Please provide one of", with: "; use one of")
        let word = text.prefix { $0.isLetter }
        if let first = word.first, first.isUppercase, word.dropFirst().allSatisfy(\.isLowercase) {
            text = first.lowercased() + text.dropFirst()
        }
        return text
    }
}

/// Ends the process with `status` (the C library's `exit`, which the command's own `exit` hides).
private func terminate(_ status: Int32) -> Never {
    #if canImport(Glibc)
    Glibc.exit(status)
    #else
    Darwin.exit(status)
    #endif
}
