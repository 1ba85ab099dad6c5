/// Text that must never reach an output raw: each case is used at once as a
/// file name, class name, id and group value by the escaping tests of the
/// renderers and of the command line. Printed by its name in test logs.
public struct HostileString: Sendable, CustomStringConvertible {
    public let name: String
    public let text: String
    public var description: String { name }

    public init(name: String, text: String) {
        self.name = name
        self.text = text
    }

    /// One case per way text can escape its place: workflow commands after a
    /// line break or at the start, terminal escapes (ESC, OSC + BEL, C1 CSI),
    /// bidi reordering, URL schemes and HTML handlers, Markdown syntax, and
    /// characters XML forbids. No case holds `/`, so each is a valid file name.
    public static let cases: [HostileString] = [
        HostileString(name: "line feed then a workflow command", text: "a\n::stop-commands::x"),
        HostileString(name: "a workflow command at the start", text: "::warning::pwn"),
        HostileString(name: "CR LF then a workflow command", text: "k\r\n::error::pwn"),
        HostileString(name: "ESC [31m colour", text: "b\u{1B}[31mred"),
        HostileString(name: "OSC title ended by BEL", text: "c\u{1B}]0;title\u{07}"),
        HostileString(name: "C1 CSI U+009B", text: "d\u{9B}31m"),
        HostileString(name: "bidi override U+202E", text: "n\u{202E}txt.exe"),
        HostileString(name: "javascript: URL", text: "javascript:alert(document.domain)"),
        HostileString(name: "HTML image with an event handler", text: "<img src=x onerror=alert(1)>"),
        HostileString(name: "Markdown pipe, backticks and link syntax", text: "e|f`g`](h)"),
        HostileString(name: "XML-invalid U+FFFE and U+FFFF", text: "i\u{FFFE}j\u{FFFF}"),
    ]
}
