import ArgumentParser
import CalibInput

/// A usage error about one option's value, as one line naming the flag and
/// the value as typed: `--bins "-1": must be a whole number from 1 to 10000`.
/// The value is quoted as in input errors (control characters escaped, long values cut).
func optionError(_ flag: String, _ value: String, _ reason: String) -> ValidationError {
    ValidationError("\(flag) \(InputError.quoted(value)): \(reason)")
}

/// Parses and checks the values of numeric and list options. Each takes the
/// text as typed, so that an error can show it as typed (`2`, not `2.0`).
enum OptionValue {
    /// A whole number in `range` (decimal digits, optionally signed).
    static func wholeNumber(_ text: String, flag: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = Int(text), range.contains(n) else {
            let bound = range.upperBound == .max ? "of at least \(range.lowerBound)" : "from \(range.lowerBound) to \(range.upperBound)"
            throw optionError(flag, text, "must be a whole number \(bound)")
        }
        return n
    }

    /// A finite number in `range` (NaN and the infinities are refused).
    static func number(_ text: String, flag: String, in range: ClosedRange<Double>) throws -> Double {
        guard let x = Double(text), x.isFinite, range.contains(x) else {
            let bound = range.upperBound == .greatestFiniteMagnitude ? "of at least \(format(range.lowerBound))" : "from \(format(range.lowerBound)) to \(format(range.upperBound))"
            throw optionError(flag, text, "must be a finite number \(bound)")
        }
        return x
    }

    /// A non-empty name (a class or a column).
    static func name(_ text: String, flag: String, what: String) throws -> String {
        guard !text.isEmpty else { throw optionError(flag, text, "needs a \(what) name") }
        return text
    }

    /// A comma-separated list of names: spaces around each are dropped; an
    /// empty name, a name given twice or fewer than `minimum` names is an error.
    static func names(_ text: String, flag: String, what: String, minimum: Int) throws -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpacesAndTabs() }
        if names.allSatisfy(\.isEmpty) || names.count < minimum {
            throw optionError(flag, text, "needs at least \(minimum == 1 ? "one \(what) name" : "\(minimum) \(what) names separated by commas")")
        }
        if let empty = names.firstIndex(of: "") {
            throw optionError(flag, text, "the \(ordinal(empty + 1)) \(what) name is empty")
        }
        var seen: Set<String> = []
        for name in names where !seen.insert(name).inserted {
            throw optionError(flag, text, "names the \(what) '\(name)' twice")
        }
        return names
    }

    /// A comma-separated list of at most `maximumCount` distinct finite
    /// numbers, each in `range` and, when `positive`, above 0; kept in the
    /// order given.
    static func numbers(_ text: String, flag: String, in range: ClosedRange<Double>, positive: Bool = false, maximumCount: Int = 100) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpacesAndTabs() }
        if parts.count > maximumCount {
            throw optionError(flag, String(text.prefix(40)) + (text.count > 40 ? "…" : ""), "lists \(parts.count) values; give at most \(maximumCount)")
        }
        var values: [Double] = []
        for part in parts {
            guard let x = Double(part), x.isFinite, range.contains(x), !positive || x > 0 else {
                let lower = positive ? "above \(format(range.lowerBound))" : "from \(format(range.lowerBound))"
                throw optionError(flag, text, "\(part.isEmpty ? "an empty entry" : InputError.quoted(part)) is not a number \(lower) to \(format(range.upperBound)); write a list such as 0.5,0.9")
            }
            if values.contains(x) { throw optionError(flag, text, "gives \(InputError.quoted(part)) twice") }
            values.append(x)
        }
        return values
    }

    /// A number of bytes: a whole number with an optional binary suffix
    /// (`K`, `M`, `G`, `T`, or `KiB`, `MiB`, `GiB`, `TiB`): `256M` is 256 MiB.
    static func bytes(_ text: String, flag: String) throws -> Int {
        let units: [(String, Int)] = [("KiB", 10), ("MiB", 20), ("GiB", 30), ("TiB", 40), ("K", 10), ("M", 20), ("G", 30), ("T", 40)]
        var digits = Substring(text), shift = 0
        for (suffix, bits) in units where text.hasSuffix(suffix) {
            digits = text.dropLast(suffix.count)
            shift = bits
            break
        }
        guard let n = Int(digits), n >= 0, n <= (1 << 50) >> shift else {
            throw optionError(flag, text, "must be a whole number of bytes, optionally with K, M, G or T (binary: 256M is 256 MiB), up to 1024T")
        }
        return n << shift
    }

    private static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : "\(x)"
    }

    private static func ordinal(_ n: Int) -> String {
        let suffix = (11...13).contains(n % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "\(n)\(suffix)"
    }
}
