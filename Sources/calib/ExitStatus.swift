import ArgumentParser

/// The exit statuses calib documents (sysexits, SPEC section 2), and which one
/// a run that met several problems ends with.
///
/// A usage error (64) ends a run at once, before any input is read. Otherwise
/// the precedence, highest first, is: a report that could not be written (74),
/// the first input that could not be read (65 or 66, in input order), a failed
/// `--fail-on` gate (1), success (0).
enum ExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// A `--fail-on` gate failed.
    case gateFailed = 1
    /// Bad flags, a bad gate or configuration, an ambiguity only a flag settles.
    case usage = 64
    /// Malformed input data.
    case dataError = 65
    /// An input missing or unreadable.
    case noInput = 66
    /// A report could not be written.
    case cannotWrite = 74

    /// The status for an exit code calib's libraries report (`InputError.exitCode`).
    init(code: Int32) {
        self = ExitStatus(rawValue: code) ?? .dataError
    }

    /// The status of a run: the worst problem by the precedence above.
    /// `inputFailures` are in input order; the first one counts.
    static func of(outputFailed: Bool, inputFailures: [ExitStatus] = [], gatesFailed: Bool) -> ExitStatus {
        if outputFailed { return .cannotWrite }
        if let first = inputFailures.first { return first }
        return gatesFailed ? .gateFailed : .success
    }

    /// The ArgumentParser value that ends the process with this status.
    var exitCode: ExitCode { ExitCode(rawValue) }
}
