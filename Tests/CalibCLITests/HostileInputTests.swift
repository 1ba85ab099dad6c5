import CalibTestSupport
import Foundation
import Testing

/// Issue 11's input items end to end: hostile labels never crash or merge,
/// NUL bytes and duplicate JSON keys are errors, the delimiter is sniffed,
/// every missing column is named at once, UTF-16 is named, a JSON Lines BOM is
/// accepted, and huge names are cut.
@Suite("calib on hostile and unfamiliar input, end to end")
struct HostileInputTests {
    static func file(_ name: String, _ content: String) throws -> String {
        let path = try temporaryFolder() + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = try temporaryFolder() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    struct LabelRun: Sendable, CustomStringConvertible {
        let command: String
        let format: String
        let label: String
        let skip: Bool
        var description: String { "\(command) \(format) \(label)\(skip ? " --on-invalid skip" : "")" }
    }

    static let labelRuns: [LabelRun] = ["audit", "losses"].flatMap { command in
        ["csv", "jsonl"].flatMap { format in
            ["1e300", "inf", "1e19", "-1e19", "nan", "1.0", "+1", "01", "0x1", "1e-400"].flatMap { label in
                [false, true].map { LabelRun(command: command, format: format, label: label, skip: $0) }
            }
        }
    }

    @Test("a numeric look-alike of an integer class never crashes: exit 65 naming it, or skipped and counted", arguments: labelRuns)
    func lookAlikeLabel(run: LabelRun) throws {
        let path: String
        if run.format == "csv" {
            path = try Self.file("x.csv", "label,p_0,p_1\n0,0.9,0.1\n\(run.label),0.2,0.8\n1,0.3,0.7\n")
        } else {
            // Numbers that JSON can spell stay bare; inf and nan become strings.
            let value = ["inf", "nan", "0x1", "+1", "01"].contains(run.label) ? "\"\(run.label)\"" : run.label
            path = try Self.file("x.jsonl", "{\"label\": 0, \"p_0\": 0.9, \"p_1\": 0.1}\n{\"label\": \(value), \"p_0\": 0.2, \"p_1\": 0.8}\n{\"label\": 1, \"p_0\": 0.3, \"p_1\": 0.7}\n")
        }
        let result = try CalibRun([run.command, path] + (run.skip ? ["--on-invalid", "skip"] : []))
        #expect(!result.terminatedBySignal)
        if run.skip {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("2 rows"), "\(result.stdout)")
        } else {
            #expect(result.status == 65)
            #expect(result.stderr.hasPrefix("calib: error: \(path):2:") || result.stderr.hasPrefix("calib: error: \(path):3:"), "\(result.stderr)")
            #expect(result.stderr.contains("column 'label': \"\(run.label)\" is not one of the classes ('0', '1')"), "\(result.stderr)")
            if !["inf", "nan", "0x1"].contains(run.label) {
                #expect(result.stderr.contains("\ncalib: hint: a label must be spelled as its class ('1', not '1.0' or '01')"), "\(result.stderr)")
            }
        }
    }

    @Test("a JSON number label and the same string are one class; the JSON report counts look-alikes as unknown-label")
    func jsonNumberAndString() throws {
        let path = try Self.file("n.jsonl", "{\"label\": 1, \"prob\": 0.8}\n{\"label\": \"1\", \"prob\": 0.7}\n{\"label\": 0, \"prob\": 0.2}\n{\"label\": 1.0, \"prob\": 0.9}\n")
        let run = try CalibRun(["audit", path, "--on-invalid", "skip", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let input = try #require(object["input"] as? [String: Any])
        #expect(input["rows"] as? Int == 3)
        let reasons = try #require(input["skipped"] as? [[String: Any]])
        #expect(reasons.map { $0["reason"] as? String } == ["unknown-label"])
    }

    /// A file holding a NUL byte, and the error message naming it (after the folder).
    struct NulByte: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let text: String
        let message: String
        var testDescription: String { name }
    }

    @Test("a NUL byte is exit 65 naming line and column, and with --on-invalid skip a nul-byte reason in the report", arguments: [
        NulByte(name: "a raw NUL in a CSV field", file: "z.csv", text: "label,p_0,p_1\n0,0.9,0.1\n1\u{0}zzz,0.2,0.8\n1,0.3,0.7\n",
                message: "z.csv:3: column 'label': \"1\\u{0}zzz\" holds a NUL byte, which no field may hold"),
        NulByte(name: "an escaped NUL in a JSON string", file: "z.jsonl", text: "{\"label\": 0, \"prob\": 0.3}\n{\"label\": \"1\\u0000\", \"prob\": 0.8}\n{\"label\": 1, \"prob\": 0.7}\n",
                message: "z.jsonl:2: column 'label': \"1\\u{0}\" holds a NUL byte, which no field may hold"),
    ])
    func nulByte(c: NulByte) throws {
        let (name, text, message) = (c.file, c.text, c.message)
        let path = try Self.file(name, text)
        let run = try CalibRun(["audit", path])
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("calib: error: " + (path as NSString).deletingLastPathComponent + "/" + message), "\(run.stderr)")
        let skipped = try CalibRun(["audit", path, "--on-invalid", "skip", "--format", "json"])
        #expect(skipped.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(skipped.stdout.utf8)) as? [String: Any])
        let reasons = try #require((object["input"] as? [String: Any])?["skipped"] as? [[String: Any]])
        #expect(reasons.map { $0["reason"] as? String } == ["nul-byte"])
    }

    @Test("a key given twice in a JSON Lines object is exit 65 naming line and key")
    func duplicateKey() throws {
        let path = try Self.file("d.jsonl", "{\"label\": 1, \"prob\": 0.5}\n{\"label\": 0, \"prob\": 0.2, \"prob\": 0.9}\n")
        let run = try CalibRun(["audit", path])
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("calib: error: \(path):2: the key 'prob' appears twice in the object; each key may appear once"), "\(run.stderr)")
    }

    /// A file separated by something other than commas, by name (- for standard input).
    struct Separated: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let text: String
        var testDescription: String { name }
    }

    @Test("a tab-, semicolon- or pipe-separated file audits whatever its name, from a file or standard input", arguments: [
        Separated(name: "tabs in spam.txt", file: "spam.txt", text: "id\tlabel\tp_spam\na\tham\t0.1\nb\tspam\t0.9\n"),
        Separated(name: "semicolons in spam.csv", file: "spam.csv", text: "id;label;p_spam\na;ham;0.1\nb;spam;0.9\n"),
        Separated(name: "pipes in spam", file: "spam", text: "id|label|p_spam\na|ham|0.1\nb|spam|0.9\n"),
        Separated(name: "tabs on standard input", file: "-", text: "id\tlabel\tp_spam\na\tham\t0.1\nb\tspam\t0.9\n"),
    ])
    func sniffedDelimiter(c: Separated) throws {
        let (name, text) = (c.file, c.text)
        let run = name == "-" ? try CalibRun(["audit", "-"], stdin: text) : try CalibRun(["audit", try Self.file(name, text)])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 rows · binary · 2 classes"), "\(run.stdout)")
        #expect(run.stdout.contains("positive class 'spam' (named by the score column 'p_spam')"))
    }

    @Test("a header field holding a semicolon is named on the hint line with --delimiter, which then works")
    func delimiterHint() throws {
        let path = try Self.file("s.tsv", "id;label;p_spam\na;ham;0.1\nb;spam;0.9\n")
        let run = try CalibRun(["audit", path])
        #expect(run.status == 65)
        #expect(run.stderr.contains("\ncalib: hint: the header field 'id;label;p_spam' holds a semicolon: if the file is separated by semicolons, pass --delimiter ';'; otherwise name the label column with --label COL"), "\(run.stderr)")
        let fixed = try CalibRun(["audit", path, "--delimiter", ";"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
    }

    @Test("renamed label and score columns are reported in one run, with the flags on the hint line")
    func allMissingColumns() throws {
        let path = try Self.file("r.csv", "truth,confidence\n1,0.5\n")
        let run = try CalibRun(["audit", path])
        #expect(run.status == 65)
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(run.stderr)")
        #expect(lines.first?.hasPrefix("calib: error: \(path):1: no label column (none of 'label', 'y', 'y_true', 'target', 'class', 'actual'); no score column (none of 'prob'") == true)
        #expect(lines.first?.hasSuffix("; the header's columns: 'truth', 'confidence'") == true)
        #expect(lines.last == "calib: hint: name the label column with --label COL; name the score column, or one per class, with --prob COL[,COL…]")
        let fixed = try CalibRun(["audit", path, "--label", "truth", "--prob", "confidence"])
        #expect(fixed.status == 0, "\(fixed.stderr)")
    }

    @Test("UTF-16 input is named, with an iconv hint; a JSON Lines file with a UTF-8 byte-order mark audits")
    func encodings() throws {
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in "label,prob\n1,0.5\n".utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let path = try Self.file("u.csv", bytes: bytes)
        let run = try CalibRun(["audit", path])
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("calib: error: \(path): the file is UTF-16 (little-endian, byte-order mark FF FE) text; calib reads UTF-8\n"), "\(run.stderr)")
        #expect(run.stderr.contains("calib: hint: convert it to UTF-8 first: iconv -f UTF-16 -t UTF-8 \(path) > u.utf8.csv"), "\(run.stderr)")
        let bom = try Self.file("b.jsonl", "\u{FEFF}{\"label\": 1, \"prob\": 0.8}\n{\"label\": 0, \"prob\": 0.3}\n")
        let accepted = try CalibRun(["audit", bom])
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout.contains("2 rows"))
    }

    @Test("a 900 KB class name or column name is cut in the message, never printed whole", arguments: ["class", "column"])
    func hugeNames(place: String) throws {
        let long = String(repeating: "x", count: 900_000)
        let text = place == "class" ? "label,p_\(long),p_b,p_c\nz,0.2,0.3,0.5\n" : "label,\(long)\n1,0.5\n"
        let run = try CalibRun(["audit", try Self.file("h.csv", text)])
        #expect(run.status == 65)
        #expect(run.stderr.count < 1_500, "\(run.stderr.count) characters")
        #expect(run.stderr.contains("'" + String(repeating: "x", count: 60) + "…'"))
    }
}
