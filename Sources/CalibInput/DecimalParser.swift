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
enum DecimalParser {
    enum Outcome: Equatable {
        case value(Double)
        case notANumber
        case notFinite
        case empty
    }

    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Outcome {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        if start == end { return .empty }
        guard isDecimal(bytes, start, end) else {
            return isNonFiniteSpelling(bytes, start, end) ? .notFinite : .notANumber
        }
        let length = end - start
        let value: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text in
            for j in 0..<length { text[j] = CChar(bitPattern: bytes[start + j]) }
            text[length] = 0
            return strtod(text.baseAddress!, nil)
        }
        return value.isFinite ? .value(value) : .notFinite
    }

    static func parse(_ bytes: ArraySlice<UInt8>) -> Outcome {
        bytes.withUnsafeBufferPointer { parse($0) }
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isDecimal(_ s: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        if s[i] == 0x2B || s[i] == 0x2D { i += 1 }
        var mantissaDigits = 0
        while i < end && isDigit(s[i]) { i += 1; mantissaDigits += 1 }
        if i < end && s[i] == 0x2E {
            i += 1
            while i < end && isDigit(s[i]) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < end && (s[i] == 0x65 || s[i] == 0x45) {
            i += 1
            if i < end && (s[i] == 0x2B || s[i] == 0x2D) { i += 1 }
            var exponentDigits = 0
            while i < end && isDigit(s[i]) { i += 1; exponentDigits += 1 }
            guard exponentDigits > 0 else { return false }
        }
        return i == end
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
