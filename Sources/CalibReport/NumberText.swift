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
    static func wrap(_ text: String, width: Int, indent: String = "  ") -> [String] {
        var lines: [String] = []
        var current = indent
        for word in text.split(separator: " ") {
            if current.count > indent.count && current.count + 1 + word.count > width {
                lines.append(current)
                current = indent
            }
            current += (current.count > indent.count ? " " : "") + word
        }
        if current.count > indent.count { lines.append(current) }
        return lines
    }
}
