import CalibTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

extension HostileString {
    /// A JSON Lines file named after the case, whose labels, ids and group values carry it too.
    func write(in folder: String) throws -> String {
        let path = folder + "/" + text + ".jsonl"
        var lines: [String] = []
        for (i, (label, p)) in [(text, 0.9), ("other", 0.2), (text, 0.4), ("other", 0.7), (text, 0.8), ("other", 0.1)].enumerated() {
            let row: [String: Any] = ["id": text + String(i), "label": label, "grp": text, "p_" + text: p, "p_other": 1 - p]
            lines.append(String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self))
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Scalars that must never reach a terminal raw: C0 (but the line feed), DEL, C1,
/// bidi embeddings/overrides/isolates, line separators, noncharacters.
func rawControls(_ text: String) -> [String] {
    text.unicodeScalars.filter { s in
        let v = s.value
        return (v < 0x20 && s != "\n") || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || v == 0x2028 || v == 0x2029 || (0xFDD0...0xFDEF).contains(v) || (v & 0xFFFE) == 0xFFFE
    }.map { "U+" + String($0.value, radix: 16) }
}

/// Lines a GitHub Actions runner would read as workflow commands (it trims leading blanks).
func workflowCommands(_ text: String) -> [String] {
    text.split(separator: "\n").map { String($0.drop { $0 == " " || $0 == "\t" }) }.filter { $0.hasPrefix("::") }
}

@Suite("Hostile input text, end to end")
struct InjectionTests {
    @Test("under GitHub Actions, only calib's own annotations are workflow commands, and nothing printed carries a control character", arguments: HostileString.cases)
    func githubActions(hostile: HostileString) throws {
        let folder = try temporaryFolder()
        let input = try hostile.write(in: folder)
        let summary = folder + "/summary.md"
        // A gate naming the hostile segment, where the gate syntax can hold it (no < or >, brackets balanced).
        let text = hostile.text
        let nameable = !text.contains("<") && !text.contains(">") && text.filter { $0 == "[" }.count == text.filter { $0 == "]" }.count
        let run = try CalibRun(["audit", input, "--positive", "other", "--id", "id", "--group", "grp", "--min-segment-rows", "1",
                                "--fail-on", "accuracy>0"] + (nameable ? ["--fail-on", "rows@\(text)>0"] : []),
                               environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(rawControls(run.stdout) == [] && rawControls(run.stderr) == [])
        let commands = workflowCommands(run.stdout) + workflowCommands(run.stderr)
        #expect(commands.count == (nameable ? 2 : 1), "\(commands)")
        for command in commands { #expect(command.hasPrefix("::error title=calib gate%3A "), "\(command)") }
        let step = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(rawControls(step) == [] && workflowCommands(step) == [] && !step.contains("<img"))
    }

    @Test("every format printed or written keeps control characters and markup from the input out", arguments: HostileString.cases)
    func formats(hostile: HostileString) throws {
        let folder = try temporaryFolder()
        let input = try hostile.write(in: folder)
        let common = [input, "--positive", "other", "--id", "id", "--group", "grp", "--fail-on", "accuracy>0"]
        for format in ["terminal", "markdown", "html", "json"] {
            let run = try CalibRun(["audit"] + common + ["--format", format])
            #expect(run.status == 1, "\(format): \(run.stderr)")
            #expect(rawControls(run.stdout) == [], "\(format)")
            #expect(workflowCommands(run.stdout) == [], "\(format)")
            if format == "markdown" || format == "html" { #expect(!run.stdout.contains("<img"), "\(format)") }
        }
        let outputs = ["r.txt", "r.md", "r.html", "r.json", "gates.xml"].map { folder + "/" + $0 }
        _ = try CalibRun(["audit"] + common + outputs.flatMap { ["-o", $0] })
        for path in outputs {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(rawControls(text) == [] && workflowCommands(text) == [], "\(path)")
        }
        let junit = try Data(contentsOf: URL(fileURLWithPath: folder + "/gates.xml"))
        #expect(XMLParser(data: junit).parse(), "gates.xml is well-formed XML")
        let losses = try CalibRun(["losses", input, "--positive", "other"])
        #expect(losses.status == 0 && rawControls(losses.stdout) == [] && workflowCommands(losses.stdout) == [])
    }

    @Test("--report-dir from hostile file names: every index link is ./ and percent-encoded, and names an existing report")
    func reportDirectory() throws {
        let folder = try temporaryFolder()
        let inputs = try HostileString.cases.map { try $0.write(in: folder) }
        let out = folder + "/reports"
        let run = try CalibRun(["audit"] + inputs + ["--positive", "other", "--report-dir", out, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        let hrefs = html.components(separatedBy: "href=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(hrefs.count == inputs.count)
        for href in hrefs {
            #expect(href.hasPrefix("./") && !href.contains(":") && !href.contains("<") && !href.contains(" "), "\(href)")
            let name = try #require(String(href.dropFirst(2)).removingPercentEncoding)
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }
        let md = try String(contentsOfFile: out + "/index.md", encoding: .utf8)
        let targets = md.components(separatedBy: "](./").dropFirst().map { String($0.prefix { $0 != ")" }) }
        #expect(targets.count == inputs.count)
        for target in targets {
            #expect(!target.contains(":") && !target.contains("<") && !target.contains(" ") && !target.contains("("), "\(target)")
            let name = try #require(target.removingPercentEncoding)
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: out) where file.hasSuffix(".html") {
            let page = try String(contentsOfFile: out + "/" + file, encoding: .utf8)
            #expect(page.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"))
            #expect(!page.contains("<script") && !page.contains("<img") && !page.contains("href=\"javascript"), "\(file)")
        }
    }
}

@Suite("Undefined metrics, end to end")
struct UndefinedMetricTests {
    static func write(_ text: String) throws -> String {
        let path = try temporaryFolder() + "/u.csv"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("all-zero weights: every report says the metrics are undefined because the total weight is 0")
    func zeroWeights() throws {
        let path = try Self.write("label,p,w\n1,0.9,0\n0,0.2,0\n")
        let terminal = try CalibRun(["audit", path, "--weight", "w"])
        #expect(terminal.status == 0)
        #expect(terminal.stdout.contains("  undefined: crossEntropy, crossEntropyBits, perplexity, logLossSkill, accuracy,"))
        #expect(terminal.stdout.contains("verdict: undefined: total weight is 0"))
        let json = try CalibRun(["audit", path, "--weight", "w", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let undefined = try #require((object["findings"] as? [String: Any])?["undefined"] as? [[String: String]])
        #expect(undefined.contains(["metric": "accuracy", "reason": "total weight is 0"]))
        for format in ["markdown", "html"] {
            #expect(try CalibRun(["audit", path, "--weight", "w", "--format", format]).stdout.contains("total weight is 0"), "\(format)")
        }
    }

    struct GateCase: CustomTestStringConvertible, Sendable {
        let name: String, text: String, gate: String, reason: String
        var testDescription: String { name }
    }

    @Test("a gate on an undefined value fails (exit 1) and its report line and annotation give the reason", arguments: [
        GateCase(name: "all weights zero", text: "label,p,w\n1,0.9,0\n0,0.2,0\n", gate: "accuracy<0.5", reason: "total weight is 0"),
        GateCase(name: "weights of 1e308", text: "label,p,w\n1,0.9,1e308\n0,0.2,1e308\n1,0.6,1e308\n", gate: "crossEntropy>1",
                 reason: "total weight is not finite: the weights sum past the largest double (about 1.8e308)"),
        GateCase(name: "one class, one row", text: "label,p,w\n1,0.9,1\n", gate: "logLossSkill<0",
                 reason: "the labels have a single class (prior cross-entropy 0), so there is no base rate to beat"),
    ])
    func gate(c: GateCase) throws {
        let (text, gate, reason) = (c.text, c.gate, c.reason)
        let path = try Self.write(text)
        let run = try CalibRun(["audit", path, "--weight", "w", "--fail-on", gate], environment: ["GITHUB_ACTIONS": "true"])
        #expect(run.status == 1)
        let flat = run.stdout.replacingOccurrences(of: "\n        ", with: " ")
        #expect(flat.contains("FAIL  \(gate)  (value undefined"))
        #expect(flat.contains(reason))
        let metric = String(gate.prefix { $0.isLetter })
        let annotation = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("::error ") })
        #expect(annotation.hasPrefix("::error title=calib gate%3A \(gate)::"))
        #expect(annotation.hasSuffix(": \(metric) = undefined: \(reason), gate '\(gate)' failed"))
    }

    @Test("one class, one row: the log-loss skill is 'undefined', never 'worse than the base rate'")
    func skill() throws {
        let run = try CalibRun(["audit", try Self.write("label,p\n1,0.9\n")])
        #expect(run.status == 0)
        #expect(run.stdout.contains("log-loss skill undefined (see above)") && !run.stdout.contains("worse than the base rate"))
        #expect(run.stdout.contains("undefined: logLossSkill: the labels have a single class"))
    }
}

@Suite("Long names, end to end")
struct LongNameCLITests {
    @Test("a 900 KB class name is cut in the terminal report and in a gate error's list of classes, kept whole in JSON")
    func longClassName() throws {
        let long = String(repeating: "x", count: 900_000)
        let path = try temporaryFolder() + "/long.csv"
        try Data("label,p_\(long),p_b\n\(long),0.7,0.3\nb,0.4,0.6\nb,0.2,0.8\n".utf8).write(to: URL(fileURLWithPath: path))
        let run = try CalibRun(["audit", path, "--positive", "b"])
        #expect(run.status == 0)
        #expect(run.stdout.utf8.count < 20_000)
        for line in run.stdout.split(separator: "\n") { #expect(line.count <= 80) }
        let gate = try CalibRun(["audit", path, "--positive", "b", "--fail-on", "recall[nope]<1"])
        #expect(gate.status == 64)
        #expect(gate.stderr.utf8.count < 1_000, "\(gate.stderr.prefix(200))")
        #expect(gate.stderr.contains("no class 'nope'; classes: \(String(repeating: "x", count: 60))…, b"))
        let json = try CalibRun(["audit", path, "--positive", "b", "--format", "json"])
        #expect(json.stdout.contains(long))
    }
}
