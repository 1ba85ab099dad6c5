import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints `calib: error: …` on standard error.
func printError(_ message: String) {
    printLine(errorLine(message), to: 2)
}

/// The line `printError` prints for `message` (without its newline).
func errorLine(_ message: String) -> String {
    "calib: error: " + printable(message)
}

/// Prints `calib: hint: …` on standard error: what to do about the error before it.
func printHint(_ hint: String) {
    printLine("calib: hint: " + printable(hint), to: 2)
}

/// Prints an input error and, when it has one, its hint.
func printInputError(_ error: InputError) {
    printError(error.description)
    if let hint = error.hint { printHint(hint) }
}

/// The longest message printed, in characters; longer ones are cut with a note.
let messageLimit = 2_000

/// A message as one printable line: ``TextEscaping/plain(_:limit:)`` (control
/// characters, C1, bidi controls and line separators become `\u{…}` escapes,
/// so text from the input or the command line can neither start a new line,
/// such as a fake error or a GitHub workflow command, nor drive the terminal),
/// cut at ``messageLimit`` characters with a count of the rest.
func printable(_ message: String) -> String {
    let count = message.count
    guard count > messageLimit else { return TextEscaping.plain(message) }
    return TextEscaping.plain(String(message.prefix(messageLimit))) + "… (\(count - messageLimit) more characters)"
}

/// Writes one line to a file descriptor, ignoring failures (for messages about failures).
func printLine(_ text: String, to descriptor: Int32) {
    _ = writeAll(text + "\n", to: descriptor)
}

/// The text of an `errno` value.
func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}
