#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers from bytes, exactly as `Double(String)` would for
/// every string it accepts, while accepting only the plain decimal grammar:
/// ```
/// [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
/// ```
/// Hexadecimal floats, `inf`, `nan` and embedded spaces are rejected, and
/// `nan`/`inf` spellings are told apart as non-finite. Surrounding ASCII
/// spaces and tabs are ignored.
public enum DecimalParser {
    public enum Outcome: Equatable, Sendable {
        case value(Double)
        case notANumber
        case notFinite
        case empty
    }

    /// The value of one field's bytes (the fast path of every reader).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        if start == end { return .empty }
        switch fastValue(bytes, start, end) {
        case let .exact(value):
            return value.isFinite ? .value(value) : .notFinite
        case .needsSlowPath:
            let value = slowValue(bytes, start, end)
            return value.isFinite ? .value(value) : .notFinite
        case .invalid:
            return isNonFiniteSpelling(bytes, start, end) ? .notFinite : .notANumber
        }
    }

    enum FastResult {
        case exact(Double)
        /// Valid, but beyond the fast algorithms: `strtod` decides.
        case needsSlowPath
        /// Not the decimal grammar.
        case invalid
    }

    /// glibc's `strtod`: exact for everything, slow for long mantissas.
    static func slowValue(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Double {
        let length = end - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
            for j in 0..<length { text[j] = CChar(bitPattern: bytes[start + j]) }
            text[length] = 0
            return strtod(text.baseAddress!, nil)
        }
    }

    /// Checks the decimal grammar and, in the same pass, finds the exact value of
    /// a decimal with at most 19 significant digits by Clinger's fast path or the
    /// Eisel–Lemire algorithm; the rare remaining cases (more digits, subnormals,
    /// an undecided product) are left to `strtod`.
    static func fastValue(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> FastResult {
        let text = s.baseAddress!
        let raw = UnsafeRawPointer(text)
        var i = start
        var negative = false
        if text[i] == 0x2D { negative = true; i += 1 } else if text[i] == 0x2B { i += 1 }
        let digitsStart = i
        var mantissa: UInt64 = 0
        // Digits, eight at a time while eight bytes remain, then one by one. The
        // mantissa may wrap past 19 digits; that case is sorted out below.
        @inline(__always) func readDigits() {
            while i + 8 <= end {
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                guard Self.isEightDigits(word) else { break }
                mantissa = mantissa &* 100_000_000 &+ Self.eightDigitsValue(word)
                i += 8
            }
            while i < end, case let d = text[i] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
        }
        readDigits()
        var digits = i - digitsStart
        var exponent = 0
        if i < end && text[i] == 0x2E {
            i += 1
            let fractionStart = i
            readDigits()
            exponent = fractionStart - i
            digits -= exponent
        }
        guard digits > 0 else { return .invalid }
        if i < end {
            guard text[i] == 0x65 || text[i] == 0x45 else { return .invalid }
            i += 1
            var negativeExponent = false
            if i < end && text[i] == 0x2D { negativeExponent = true; i += 1 } else if i < end && text[i] == 0x2B { i += 1 }
            var e = 0
            var exponentDigits = 0
            while i < end, case let d = text[i] &- 0x30, d < 10 {
                if e < 100_000 { e = e * 10 + Int(d) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0, i == end else { return .invalid }
            exponent += negativeExponent ? -e : e
        }
        if digits > 19 {
            // Leading zeros (and the point) carry no value: past them at most 19
            // digits may remain for the mantissa to be exact.
            var j = digitsStart
            var leadingZeros = 0
            while j < end && (text[j] == 0x30 || text[j] == 0x2E) {
                if text[j] == 0x30 { leadingZeros += 1 }
                j += 1
            }
            guard digits - leadingZeros <= 19 else { return .needsSlowPath }
        }
        if mantissa == 0 { return .exact(negative ? -0.0 : 0.0) }
        var value: Double
        if mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            // Clinger: both operands exact, one correctly rounded operation.
            value = Double(mantissa)
            value = exponent < 0 ? value / powersOfTen[-exponent] : value * powersOfTen[exponent]
        } else {
            guard let bits = eiselLemire(q: exponent, w: mantissa) else { return .needsSlowPath }
            value = Double(bitPattern: bits)
        }
        return .exact(negative ? -value : value)
    }

    /// Whether all eight bytes of a little-endian word are ASCII digits.
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
    }

    /// The value of eight ASCII digits in a little-endian word (first digit in the lowest byte).
    @inline(__always)
    static func eightDigitsValue(_ word: UInt64) -> UInt64 {
        var v = word &- 0x3030_3030_3030_3030
        v = (v &* 10) &+ (v >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        return (((v & mask) &* 0x000F_4240_0000_0064) &+ (((v >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
    }

    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// The bits of `w · 10^q` correctly rounded, or `nil` when the 128-bit
    /// product cannot decide (then `strtod` must). D. Lemire, "Number Parsing
    /// at a Gigabyte per Second", Software: Practice and Experience 51 (2021);
    /// N. Mushtak and D. Lemire, "Fast Number Parsing Without Fallback" (2023).
    static func eiselLemire(q: Int, w: UInt64) -> UInt64? {
        if q < -342 { return 0 }
        if q > 308 { return 0x7FF0_0000_0000_0000 }
        let leadingZeros = w.leadingZeroBitCount
        let normalized = w << UInt64(leadingZeros)
        let index = 2 * (q + 342)
        var (high, low) = normalized.multipliedFullWidth(by: powersOfFive128[index])
        let precisionMask: UInt64 = UInt64.max >> 55
        if high & precisionMask == precisionMask {
            let second = normalized.multipliedFullWidth(by: powersOfFive128[index + 1]).high
            let sum = low &+ second
            if second > sum { high &+= 1 }
            low = sum
        }
        if low == UInt64.max && (q < -27 || q > 55) { return nil }
        let upperBit = Int(high >> 63)
        let shift = UInt64(upperBit + 64 - 52 - 3)
        var mantissa = high >> shift
        var power2 = (((152_170 + 65_536) * q) >> 16) + 63 + upperBit - leadingZeros + 1023
        if power2 <= 0 { return nil }
        if low <= 1 && q >= -4 && q <= 23 && mantissa & 3 == 1 && (mantissa << shift) == high {
            mantissa &= ~1
        }
        mantissa += mantissa & 1
        mantissa >>= 1
        if mantissa >= 2 << 52 {
            mantissa = 1 << 52
            power2 += 1
        }
        mantissa &= ~(1 << 52)
        if power2 >= 0x7FF { return 0x7FF0_0000_0000_0000 }
        return UInt64(power2) << 52 | mantissa
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> Outcome {
        bytes.withUnsafeBufferPointer { parse($0) }
    }


    private static func isNonFiniteSpelling(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        if s[i] == 0x2B || s[i] == 0x2D { i += 1 }
        var word = ""
        while i < end, word.count < 9 {
            word.unicodeScalars.append(Unicode.Scalar(s[i] | 0x20))
            i += 1
        }
        guard i == end else { return false }
        return ["nan", "inf", "infinity"].contains(word)
    }
}
