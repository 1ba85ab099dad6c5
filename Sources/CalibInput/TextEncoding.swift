/// Recognises text that is not UTF-8 at the start of an input, so that a
/// UTF-16 export (Excel's "Unicode text", PowerShell's `>`) is named as such
/// instead of "looks binary" or "no label column".
///
/// UTF-32 and UTF-16 are told by their byte-order marks (`FF FE 00 00`,
/// `00 00 FE FF`, `FF FE`, `FE FF`), and UTF-16 without a mark by its
/// NUL-interleaved ASCII: in the first 128 bytes (at least 4), every byte at an
/// odd offset is NUL and none at an even one (little-endian), or the reverse
/// (big-endian). A UTF-8 byte-order mark is not a problem: the readers skip it.
enum TextEncoding {
    /// The encoding `head` (the first bytes of the input) is in, when it is one
    /// calib does not read: its name for messages and for `iconv -f`.
    static func unsupported(_ head: UnsafeBufferPointer<UInt8>) -> (description: String, iconvName: String)? {
        let n = head.count
        if n >= 4 && head[0] == 0xFF && head[1] == 0xFE && head[2] == 0 && head[3] == 0 {
            return ("UTF-32 (little-endian, byte-order mark FF FE 00 00)", "UTF-32")
        }
        if n >= 4 && head[0] == 0 && head[1] == 0 && head[2] == 0xFE && head[3] == 0xFF {
            return ("UTF-32 (big-endian, byte-order mark 00 00 FE FF)", "UTF-32")
        }
        if n >= 2 && head[0] == 0xFF && head[1] == 0xFE { return ("UTF-16 (little-endian, byte-order mark FF FE)", "UTF-16") }
        if n >= 2 && head[0] == 0xFE && head[1] == 0xFF { return ("UTF-16 (big-endian, byte-order mark FE FF)", "UTF-16") }
        let pairs = Swift.min(n, 128) / 2
        guard pairs >= 2 else { return nil }
        var evenNUL = 0, oddNUL = 0
        for i in 0..<pairs {
            if head[2 * i] == 0 { evenNUL += 1 }
            if head[2 * i + 1] == 0 { oddNUL += 1 }
        }
        if oddNUL == pairs && evenNUL == 0 { return ("UTF-16 (little-endian, no byte-order mark: every other byte is NUL)", "UTF-16LE") }
        if evenNUL == pairs && oddNUL == 0 { return ("UTF-16 (big-endian, no byte-order mark: every other byte is NUL)", "UTF-16BE") }
        return nil
    }

    /// Throws a data error (exit 65) naming the encoding when `head` is not UTF-8
    /// text, with an `iconv` command to convert it as the hint.
    static func check(_ head: UnsafeBufferPointer<UInt8>, name: String) throws {
        guard let found = unsupported(head) else { return }
        let plain = !name.isEmpty && name != InputLocation.standardInputName && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x2F || b == 0x5F || b == 0x2D
        }
        var output = "converted.csv"
        if plain {
            let base = name.split(separator: "/").last.map(String.init) ?? name
            if let dot = base.lastIndex(of: "."), dot != base.startIndex {
                output = base[..<dot] + ".utf8" + base[dot...]
            } else {
                output = base + ".utf8"
            }
        }
        throw InputError(.data, file: name, reason: "the file is \(found.description) text; calib reads UTF-8",
                         hint: "convert it to UTF-8 first: iconv -f \(found.iconvName) -t UTF-8 \(plain ? name : "FILE") > \(output)")
    }
}
