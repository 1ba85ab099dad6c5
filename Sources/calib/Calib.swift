import ArgumentParser
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
        subcommands: [Audit.self, Losses.self],
        defaultSubcommand: nil
    )

    static func main() {
        // A closed pipe (`calib audit … | head`) must be a write error, not a signal exit.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
