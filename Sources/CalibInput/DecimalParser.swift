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
        var stop = start
        let result = scan(s.baseAddress!, from: start, end: end, stop: &stop)
        // The grammar must take the whole field.
        if case .invalid = result { return .invalid }
        return stop == end ? result : .invalid
    }

    /// The exact, finite value of the decimal that starts at `i` and ends at the
    /// first byte the grammar cannot take (returned in `stop`), or `nil` when
    /// there is no such number, it needs `strtod` (over 19 significant digits,
    /// subnormals, a rare undecided product) or it is not finite. The bytes from
    /// `i` to `end` must be readable; the caller checks what follows the number
    /// (a field's end). The fused row reader's parser: when it returns a value,
    /// that is, bit for bit, ``parse(_:)`` of the bytes `i..<stop` (the same scan).
    @inline(__always)
    public static func prefixValue(_ text: UnsafePointer<UInt8>, from i: Int, end: Int, stop: inout Int) -> Double? {
        guard case let .exact(value) = scan(text, from: i, end: end, stop: &stop), value.isFinite else { return nil }
        return value
    }

    /// The leading decimal of `text[start..<end]` (see `fastValue`):
    /// its value and, in `stop`, where it ends. A number ends at the first byte
    /// the grammar cannot take; `.invalid` when what precedes it is no number
    /// (no digits, or an exponent marker without digits).
    @inline(__always)
    static func scan(_ text: UnsafePointer<UInt8>, from start: Int, end: Int, stop: inout Int) -> FastResult {
        let raw = UnsafeRawPointer(text)
        var i = start
        var negative = false
        if i < end {
            if text[i] == 0x2D { negative = true; i += 1 } else if text[i] == 0x2B { i += 1 }
        }
        let digitsStart = i
        var mantissa: UInt64 = 0
        if let value = probabilityValue(text, from: i, end: end, negative: negative, stop: &stop) { return value }
        // Digits, eight bytes at a time while eight remain: the run of digits at
        // the start of a word (0–8 of them) is added in one step whatever its
        // length, so 16 and 17 digits take the same branches; then one by one.
        // The mantissa may wrap past 19 digits; that case is sorted out below.
        @inline(__always) func readDigits() {
            while i &+ 8 <= end {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let n = Self.leadingDigitCount(word)
                mantissa = mantissa &* Self.powersOfTenInteger[n] &+ Self.digitValues(Self.leadingDigits(word, n))
                i &+= n
                if n < 8 { return }
            }
            while i < end, case let d = text[i] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                i &+= 1
            }
        }
        // A probability's `0.` needs no digit loop.
        if i &+ 1 < end && text[i] == 0x30 && text[i &+ 1] == 0x2E {
            i &+= 1
        } else {
            readDigits()
        }
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
        let mantissaEnd = i
        if i < end && text[i] | 0x20 == 0x65 {
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
            guard exponentDigits > 0 else { return .invalid }
            exponent += negativeExponent ? -e : e
        }
        stop = i
        if digits > 19 {
            // Leading zeros (and the point) carry no value: past them at most 19
            // digits may remain for the mantissa to be exact.
            var j = digitsStart
            var leadingZeros = 0
            while j < mantissaEnd && (text[j] == 0x30 || text[j] == 0x2E) {
                if text[j] == 0x30 { leadingZeros += 1 }
                j += 1
            }
            guard digits - leadingZeros <= 19 else { return .needsSlowPath }
        }
        return exactValue(mantissa, exponent: exponent, negative: negative)
    }

    /// The benchmark files' spelling of a probability, `0.` and 16 to 19 digits
    /// with no exponent, read at `i` (after any sign) in three loads and no
    /// loop: the mantissa and exponent `scan` would find, so the same value;
    /// `nil` for anything else (then `scan` reads on). Needs 26 readable bytes.
    @inline(__always)
    static func probabilityValue(_ text: UnsafePointer<UInt8>, from i: Int, end: Int, negative: Bool, stop: inout Int) -> FastResult? {
        guard i &+ 26 <= end && text[i] == 0x30 && text[i &+ 1] == 0x2E else { return nil }
        let raw = UnsafeRawPointer(text)
        let first = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 2, as: UInt64.self))
        let second = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 10, as: UInt64.self))
        let third = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 18, as: UInt64.self))
        let n = leadingDigitCount(third)
        let after = i &+ 18 &+ n
        guard leadingDigitCount(first) &+ leadingDigitCount(second) == 16 && n <= 3
                && text[after] != 0x2E && text[after] | 0x20 != 0x65 else { return nil }
        var mantissa = digitValues(first &- 0x3030_3030_3030_3030) &* 100_000_000 &+ digitValues(second &- 0x3030_3030_3030_3030)
        mantissa = mantissa &* powersOfTenInteger[n] &+ digitValues(leadingDigits(third, n))
        stop = after
        return exactValue(mantissa, exponent: -16 &- n, negative: negative)
    }

    /// The 128-bit powers of five `probabilityPrefix` needs: for `n` in 0...3,
    /// `5^(−16−n)` as its high then low word (`powersOfFive128`'s entries), so
    /// that the loop reads them from a buffer of its own, not the global table.
    package static let probabilityPowers: [UInt64] = (0...3).flatMap { n in
        let index = 2 * (-16 - n + 342)
        return [powersOfFive128[index], powersOfFive128[index + 1]]
    }

    /// ``prefixValue(_:from:end:stop:)`` for the benchmark files' spelling of
    /// a probability (`probabilityValue`'s: `0.` and 16 to 19 digits, no sign, no
    /// exponent), with `powers` = ``probabilityPowers``: the same mantissa and
    /// exponent `−16 − n`, then Clinger's division when the mantissa is at most
    /// 2⁵³, else the Eisel–Lemire steps of `eiselLemire` for these four exponents
    /// (the branches that cannot be taken there left out), so the same bits.
    /// Branch-free from 16 to 19 digits. `nil` for any other spelling or an
    /// undecided product: the caller then asks ``prefixValue(_:from:end:stop:)``.
    @inline(__always)
    package static func probabilityPrefix(_ text: UnsafePointer<UInt8>, from i: Int, end: Int, powers: UnsafePointer<UInt64>, stop: inout Int) -> Double? {
        guard i &+ 26 <= end && text[i] == 0x30 && text[i &+ 1] == 0x2E else { return nil }
        let raw = UnsafeRawPointer(text)
        let first = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 2, as: UInt64.self)) &- 0x3030_3030_3030_3030
        let second = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 10, as: UInt64.self)) &- 0x3030_3030_3030_3030
        let third = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i &+ 18, as: UInt64.self))
        // Sixteen digits: no byte of the first two words below `0` (a high bit in `word − 0x30…`) or above `9`.
        let nonDigits = (first | (first &+ 0x7676_7676_7676_7676) | second | (second &+ 0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080
        let n = leadingDigitCount(third)
        let after = i &+ 18 &+ n
        guard nonDigits == 0 && n <= 3 && text[after] != 0x2E && text[after] | 0x20 != 0x65 else { return nil }
        // 10^n for n ≤ 3, from four 16-bit fields of one word.
        let scale = (0x03E8_0064_000A_0001 as UInt64) >> UInt64(truncatingIfNeeded: 16 &* n) & 0xFFFF
        let mantissa = (digitValues(first) &* 100_000_000 &+ digitValues(second)) &* scale &+ digitValues(leadingDigits(third, n))
        stop = after
        if mantissa == 0 { return 0.0 }
        if mantissa <= 1 << 53 {
            // Clinger: both operands exact, one correctly rounded division by 10^(16+n).
            let tens = n == 0 ? 1e16 : n == 1 ? 1e17 : n == 2 ? 1e18 : 1e19
            return Double(mantissa) / tens
        }
        // Eisel–Lemire at q = −16 − n (see `eiselLemire`): q ≥ −27 rules out the
        // undecided case and q < −4 the halfway case; power2 stays within (0, 0x7FF).
        let q = -16 &- n
        let leadingZeros = mantissa.leadingZeroBitCount
        let normalized = mantissa &<< UInt64(leadingZeros)
        var (high, low) = normalized.multipliedFullWidth(by: powers[2 &* n])
        if high & 0x1FF == 0x1FF {
            let secondProduct = normalized.multipliedFullWidth(by: powers[2 &* n &+ 1]).high
            let sum = low &+ secondProduct
            if secondProduct > sum { high &+= 1 }
            low = sum
        }
        let upperBit = Int(high >> 63)
        var bits = high >> UInt64(upperBit &+ 9)
        var power2 = (((152_170 + 65_536) &* q) >> 16) &+ 63 &+ upperBit &- leadingZeros &+ 1023
        bits &+= bits & 1
        bits >>= 1
        if bits >= 2 << 52 {
            bits = 1 << 52
            power2 &+= 1
        }
        bits &= ~(1 << 52)
        return Double(bitPattern: UInt64(power2) << 52 | bits)
    }

    /// `±mantissa · 10^exponent`, correctly rounded, for a mantissa that holds
    /// every significant digit: Clinger's fast path when both operands are exact,
    /// else Eisel–Lemire; `.needsSlowPath` when neither decides.
    @inline(__always)
    static func exactValue(_ mantissa: UInt64, exponent: Int, negative: Bool) -> FastResult {
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

    /// How many of a little-endian word's bytes, from the lowest, are ASCII
    /// digits before the first that is not (0–8). A byte below `0` sets its high
    /// bit in `word - 0x30…`, one above `9` in `word + 0x46…`; the bytes before
    /// the first non-digit neither borrow nor carry, so its bit is exact (bits
    /// after it may be wrong, and are not used).
    @inline(__always)
    static func leadingDigitCount(_ word: UInt64) -> Int {
        let nonDigits = ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080
        return nonDigits.trailingZeroBitCount >> 3
    }

    /// The values of the first `n` bytes (0–8, all digits) of a little-endian
    /// word as the last `n` of eight digit values, the others 0: what
    /// `digitValues` turns into the value of those `n` digits. The shift
    /// by 64 − 8n is made in two equal halves, so that n = 0 gives 0 without a
    /// branch (a single shift is taken modulo 64).
    @inline(__always)
    static func leadingDigits(_ word: UInt64, _ n: Int) -> UInt64 {
        let half = UInt64(truncatingIfNeeded: 32 &- 4 &* n)
        return ((word &- 0x3030_3030_3030_3030) &<< half) &<< half
    }

    /// The value of eight digit values (0–9) in the bytes of a word, the first in the lowest byte.
    @inline(__always)
    static func digitValues(_ digits: UInt64) -> UInt64 {
        let v = (digits &* 10) &+ (digits >> 8)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        return (((v & mask) &* 0x000F_4240_0000_0064) &+ (((v >> 16) & mask) &* 0x0000_2710_0000_0001)) >> 32
    }

    /// 10^n for n in 0...8, as integers.
    private static let powersOfTenInteger: [UInt64] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

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
