/// One escaping function per place text from the input can reach, so that a
/// label, id, group value, column or file name can neither inject markup,
/// links, terminal escape sequences nor GitHub workflow commands. Every
/// renderer and every line calib prints goes through these; none escapes on its own.
///
/// All of them first make *hostile scalars* visible in the style of
/// `InputError.quoted` (`\n`, `\r`, `\t`, otherwise `\u{1b}`), then apply the
/// target's own syntax. Hostile scalars (``isHostile(_:)``): C0 controls and
/// DEL, C1 controls (U+0080–U+009F, which some terminals read as ESC `[`,
/// OSC, …), the bidirectional embeddings, overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069: "Trojan Source" reordering), the line and
/// paragraph separators U+2028/U+2029, and the Unicode noncharacters
/// (U+FDD0–U+FDEF and U+xxFFFE/U+xxFFFF), which XML 1.0 forbids or discourages.
/// Backslashes are left alone outside quotes, so escaping is idempotent:
/// an already escaped message (`InputError.quoted`) passes unchanged.
///
/// JSON output needs none of this: its serializer escapes every control
/// character and keeps the exact value.
public enum TextEscaping {
    // MARK: Hostile scalars

    /// Whether a scalar must never reach an output raw (see the type's documentation).
    public static func isHostile(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return v < 0x20 || (0x7F...0x9F).contains(v)
            || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || v == 0x2028 || v == 0x2029
            || (0xFDD0...0xFDEF).contains(v) || (v & 0xFFFE) == 0xFFFE
    }

    /// The visible form of a hostile scalar: `\n`, `\r`, `\t`, otherwise `\u{…}` in lower-case hex.
    static func visible(_ s: Unicode.Scalar) -> String {
        switch s {
        case "\n": "\\n"
        case "\r": "\\r"
        case "\t": "\\t"
        default: "\\u{\(String(s.value, radix: 16))}"
        }
    }

    /// `s` with every hostile scalar made visible; `limit` cuts it to that many
    /// characters (grapheme clusters) followed by "…".
    static func visible(_ s: String, limit: Int? = nil) -> String {
        var out = ""
        var shown = 0
        for ch in s {
            if let limit, shown == limit { out += "…"; break }
            shown += 1
            if ch.unicodeScalars.contains(where: isHostile) {
                for scalar in ch.unicodeScalars { if isHostile(scalar) { out += visible(scalar) } else { out.unicodeScalars.append(scalar) } }
            } else {
                out.append(ch)
            }
        }
        return out
    }

    // MARK: Terminal and plain text (stdout, stderr, .txt)

    /// Text for a terminal or a plain-text file: hostile scalars made visible,
    /// so no escape sequence (ESC, OSC, CSI, BEL, C1) and no line break from
    /// the input reaches the output; cut to `limit` characters when given.
    public static func plain(_ s: String, limit: Int? = nil) -> String { visible(s, limit: limit) }

    /// A finished line for standard output or standard error: ``plain(_:limit:)``, and
    /// a line that would begin (after blanks) with `::`, which a GitHub Actions
    /// runner reads as a workflow command (`::stop-commands::…`), has its first
    /// colon written `\u{3a}`. calib's own annotations are not passed through this.
    public static func plainLine(_ line: String) -> String {
        let text = plain(line)
        let blanks = text.prefix { $0 == " " }
        guard text.dropFirst(blanks.count).hasPrefix("::") else { return text }
        return String(blanks) + "\\u{3a}" + String(text.dropFirst(blanks.count + 1))
    }

    // MARK: HTML and SVG

    /// Text for HTML or SVG content and for a double- or single-quoted
    /// attribute value: `& < > " '` as entities, hostile scalars made visible.
    /// Not for URLs: use ``relativeLink(_:)`` inside `href`.
    public static func html(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in visible(s).unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: URLs

    /// One URL path segment: every UTF-8 byte outside RFC 3986's unreserved
    /// set (`A–Z a–z 0–9 - . _ ~`) percent-encoded, so `:`, `/`, `?`, `#`,
    /// spaces, quotes and brackets cannot end or reinterpret the URL.
    public static func urlPathSegment(_ s: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return out
    }

    /// A link to a file in the same folder: `./` and the percent-encoded name,
    /// so it is always relative and never a scheme (`javascript:`, `data:`),
    /// and a name starting with `#` or `?` is still a file. Only the name `#`
    /// alone (no file: the step summary's index) stays `#`, this page.
    public static func relativeLink(_ fileName: String) -> String {
        fileName == "#" ? "#" : "./" + urlPathSegment(fileName)
    }

    // MARK: Markdown (GitHub-flavoured)

    /// Text for a GFM paragraph or table cell: hostile scalars made visible,
    /// HTML-significant characters as entities (no raw HTML), and the
    /// Markdown punctuation that could start emphasis, code, a link, a heading
    /// or a table cell (`\ | * _ ` [ ] # ~ !`) backslash-escaped, and a leading
    /// `:` too, so that text starting a line cannot start a GitHub workflow
    /// command (`::stop-commands::`) when the Markdown is printed.
    public static func markdown(_ s: String) -> String {
        var out = ""
        let text = visible(s)
        for ch in text {
            if out.isEmpty && ch == ":" { out += "\\:"; continue }
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "|", "\\", "*", "_", "`", "[", "]", "#", "~", "!": out += "\\" + String(ch)
            default: out.append(ch)
            }
        }
        return out
    }

    /// A Markdown link target for a file in the same folder: ``relativeLink(_:)``,
    /// whose percent-encoding leaves no space, parenthesis, angle bracket or
    /// backslash that could end the target or the link.
    public static func markdownLinkTarget(_ fileName: String) -> String { relativeLink(fileName) }

    // MARK: XML (JUnit)

    /// Text for XML 1.0 content and attribute values: hostile scalars made
    /// visible (this covers every character XML forbids: C0 controls but tab and
    /// line breaks, which attributes would normalise, U+FFFE and U+FFFF, and the
    /// discouraged C1 controls and noncharacters), then `& < > " '` as entities.
    public static func xml(_ s: String) -> String { html(s) }

    // MARK: GitHub Actions workflow commands

    /// The message of a workflow command (`::error::MESSAGE`): `%` → `%25`,
    /// CR → `%0D`, LF → `%0A` as the runner decodes them (whether alone or as one
    /// `\r\n` character), other hostile scalars made visible, cut to `limit` characters.
    public static func githubData(_ s: String, limit: Int = 2000) -> String {
        var out = ""
        var shown = 0
        for ch in s {
            if shown == limit { out += "…"; break }
            shown += 1
            for scalar in ch.unicodeScalars {
                switch scalar {
                case "%": out += "%25"
                case "\r": out += "%0D"
                case "\n": out += "%0A"
                default: if isHostile(scalar) { out += visible(scalar) } else { out.unicodeScalars.append(scalar) }
                }
            }
        }
        return out
    }

    /// A workflow command property value (`title=VALUE`): ``githubData(_:limit:)``
    /// and also `:` → `%3A`, `,` → `%2C`, which would end the property.
    public static func githubProperty(_ s: String, limit: Int = 200) -> String {
        var out = ""
        for ch in githubData(s, limit: limit) {
            switch ch {
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.append(ch)
            }
        }
        return out
    }
}
