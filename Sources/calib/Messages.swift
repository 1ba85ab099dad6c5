import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Prints `calib: error: …` on standard error.
func printError(_ message: String) {
    printLine("calib: error: " + printable(message), to: 2)
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

/// A message as one printable line: control characters (C0, DEL, C1 and the
/// Unicode line and paragraph separators) become `\u{…}` escapes, so text
/// from the input or the command line can neither start a new line (a fake
/// error, a GitHub workflow command) nor drive the terminal (ESC, OSC, BEL).
/// Cut at ``messageLimit`` characters.
func printable(_ message: String) -> String {
    var out = ""
    var count = 0
    for scalar in message.unicodeScalars {
        if count == messageLimit {
            return out + "… (\(message.unicodeScalars.count - count) more characters)"
        }
        switch scalar.value {
        case 0x09: out += "\\t"
        case 0x0A: out += "\\n"
        case 0x0D: out += "\\r"
        case 0..<0x20, 0x7F...0x9F, 0x2028, 0x2029: out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
        count += 1
    }
    return out
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
