public import CalibCore

/// Number formatting for human-facing reports, without Foundation.
public enum NumberText {
    /// `x` rounded to `decimals` places, e.g. `fixed(0.12345, 3) == "0.123"`; "—" when not finite.
    public static func fixed(_ x: Double?, _ decimals: Int) -> String {
        guard let x, x.isFinite else { return ReportVocabulary.undefined }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (Swift.abs(x) * scale).rounded()
        guard scaled < 9e15 else { return x.description }
        let digits = String(Int(scaled))
        let negative = x < 0 && scaled > 0
        var text: String
        if decimals == 0 {
            text = digits
        } else {
            let padded = String(repeating: "0", count: Swift.max(0, decimals + 1 - digits.count)) + digits
            text = String(padded.dropLast(decimals)) + "." + String(padded.suffix(decimals))
        }
        return negative ? "-" + text : text
    }

    /// A share as a percentage, e.g. `percent(0.0123, 1) == "1.2%"`.
    public static func percent(_ x: Double?, _ decimals: Int = 1) -> String {
        guard let x, x.isFinite else { return ReportVocabulary.undefined }
        return fixed(x * 100, decimals) + "%"
    }

    /// A signed value, e.g. `+0.123`.
    public static func signed(_ x: Double?, _ decimals: Int) -> String {
        guard let x, x.isFinite else { return ReportVocabulary.undefined }
        return (x >= 0 ? "+" : "") + fixed(x, decimals)
    }

    /// An interval as reports print it, each bound written by `bound`:
    /// `[0.0131, 0.0167]`; `nil` without an interval.
    public static func bracket(_ interval: MetricInterval?, _ bound: (Double) -> String) -> String? {
        interval.map { "[\(bound($0.lower)), \(bound($0.upper))]" }
    }

    /// The one way a value and its interval (SPEC section 10) read in every
    /// report: `0.0148 [0.0131, 0.0167]`, value and bounds with the same
    /// `decimals` (``fixed(_:_:)``); the value alone without an interval or
    /// when the value is not finite ("—").
    public static func interval(_ x: Double?, _ interval: MetricInterval?, _ decimals: Int) -> String {
        withInterval(fixed(x, decimals), x, interval) { fixed($0, decimals) }
    }

    /// `text` (a value already formatted) followed by its interval, each bound
    /// written by `bound` (a percentage, a signed value): `7.2% [0.3%, 13.2%]`;
    /// `text` alone without an interval or when `x` is not finite.
    public static func withInterval(_ text: String, _ x: Double?, _ interval: MetricInterval?, _ bound: (Double) -> String) -> String {
        guard let x, x.isFinite, let shown = bracket(interval, bound) else { return text }
        return text + " " + shown
    }

    /// A count with thousands separators, e.g. `12,345`.
    public static func count(_ n: Int) -> String {
        let digits = String(Swift.abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// A weighted count: whole numbers with separators, others with two decimals.
    public static func weight(_ x: Double) -> String {
        if x.isFinite && x == x.rounded() && Swift.abs(x) < 9e15 { return count(Int(x)) }
        return fixed(x, 2)
    }

    /// A value padded on the left to `width` characters.
    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// A value padded on the right to `width` characters, cut with "…" when longer.
    public static func padRight(_ s: String, _ width: Int) -> String {
        if s.count > width { return String(s.prefix(width - 1)) + "…" }
        return s + String(repeating: " ", count: width - s.count)
    }
}

/// Greedy word wrapping for the terminal summary.
enum TextWrap {
    /// Items (a label and its value, never cut) joined by `separator` on
    /// lines of at most `width` columns, greedily; an item that does not fit
    /// starts a new line beginning with `continuation`. A line of one item
    /// wider than `width` stays as it is (the terminal cuts it).
    static func pack(_ items: [String], width: Int, separator: String = "  ", continuation: String = "  ") -> [String] {
        var lines: [String] = []
        for item in items {
            if let last = lines.last, last.count + separator.count + item.count <= width {
                lines[lines.count - 1] = last + separator + item
            } else {
                lines.append(lines.isEmpty ? item : continuation + item)
            }
        }
        return lines
    }

    static func wrap(_ text: String, width: Int, indent: String = "  ") -> [String] {
        var lines: [String] = []
        var current = indent
        for word in keepingIntervals(text.split(separator: " ").map(String.init)) {
            if current.count > indent.count && current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        if current.count > indent.count { lines.append(current) }
        return lines
    }

    /// A line cut into lines of at most `width` columns, each cut at the last
    /// space that fits outside an interval's brackets and not before one, the rest going on under
    /// `indent`; the text keeps its own spacing (unlike `wrap`). A part with no
    /// such space stays whole (the terminal cuts it).
    static func breakLine(_ line: String, width: Int, indent: String) -> [String] {
        var out: [String] = []
        var rest = Array(line)
        var prefix: [Character] = []
        while prefix.count + rest.count > width {
            var depth = 0, cut: Int?
            for (i, c) in rest.enumerated() {
                if prefix.count + i > width { break }
                if c == "[" { depth += 1 } else if c == "]" { depth = Swift.max(0, depth - 1) }
                if c == " " && depth == 0 && i > 0 && rest[i - 1] != " " && (i + 1 == rest.count || rest[i + 1] != "[") { cut = i }
            }
            guard let at = cut else { break }
            out.append(String(prefix + rest[..<at]))
            rest = Array(rest[(at + 1)...].drop { $0 == " " })
            prefix = Array(indent)
        }
        out.append(String(prefix + rest))
        return out
    }

    /// The words with each value and its interval made one word, so that
    /// "ECE 0.0148 [0.0131, 0.0167]" is never broken: a word holding "[" and
    /// ending in "," joins the next word when that one holds "]", the
    /// bracket joins the word before it (the value), and that one the word
    /// before it when it is a short upper-case label ("ECE", "AUC").
    static func keepingIntervals(_ words: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        while i < words.count {
            var word = words[i]
            if word.hasPrefix("[") || word.hasPrefix("(["), word.hasSuffix(","), i + 1 < words.count, words[i + 1].contains("]") {
                word += " " + words[i + 1]
                i += 1
                if word.hasPrefix("["), let previous = out.popLast() {
                    word = previous + " " + word
                    if let label = out.last, label.count <= 4, label.allSatisfy(\.isUppercase) { word = out.removeLast() + " " + word }
                }
            }
            out.append(word)
            i += 1
        }
        return out
    }
}
