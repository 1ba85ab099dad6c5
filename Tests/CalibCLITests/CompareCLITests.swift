import CalibTestSupport
import Foundation
import Testing

/// `calib compare` end to end (SPEC section 11): pairing and its errors, gates,
/// the report folder, and determinism.
@Suite("calib compare, end to end")
struct CompareCLITests {
    static let baseline = "SampleData/release/fraud_baseline.csv"
    static let candidate = "SampleData/release/fraud_candidate.csv"

    /// Writes `text` to a new file named `name` in a fresh folder.
    static func file(_ name: String, _ text: String) throws -> String {
        let path = try temporaryFolder() + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A small binary file: `rows` rows of id, label and a score that depends on `shift`.
    static func binary(_ name: String, rows: Int = 60, shift: Double = 0, ids: [String]? = nil, labelOf: (Int) -> Int = { $0 % 3 == 0 ? 1 : 0 }) throws -> String {
        var text = "id,label,prob\n"
        for i in 0..<rows {
            let y = labelOf(i)
            let p = Swift.min(0.99, Swift.max(0.01, (y == 1 ? 0.6 : 0.3) + 0.2 * Double((i * 7) % 5) / 5 - 0.1 + shift))
            text += "\(ids?[i] ?? "r\(i)"),\(y),\(p)\n"
        }
        return try file(name, text)
    }

    struct BadInput: CustomStringConvertible, Sendable {
        let description: String
        let make: @Sendable () throws -> (String, String)
        let extra: [String]
        let status: Int32
        /// Every fragment must appear on standard error.
        let message: [String]
    }

    static let badInputs: [BadInput] = [
        BadInput(description: "different row counts without --join-on", make: {
            (try binary("base.csv", rows: 60), try binary("cand.csv", rows: 59))
        }, extra: [], status: 65, message: ["cand.csv", "has 59 rows", "base.csv", "60", "--join-on"]),
        BadInput(description: "a label that disagrees", make: {
            (try binary("base.csv"), try binary("cand.csv", labelOf: { $0 == 10 ? 1 : ($0 % 3 == 0 ? 1 : 0) }))
        }, extra: [], status: 65, message: ["base.csv:12", "cand.csv:12", "label"]),
        BadInput(description: "an id twice in the candidate", make: {
            (try binary("base.csv"), try binary("cand.csv", ids: (0..<60).map { $0 == 7 ? "r3" : "r\($0)" }))
        }, extra: ["--join-on", "id"], status: 65, message: ["cand.csv:9", "\"r3\"", "line 5"]),
        BadInput(description: "different classes", make: {
            (try binary("base.csv"), try file("cand.csv", "label,prob\nno,0.2\nyes,0.7\n"))
        }, extra: [], status: 65, message: ["cand.csv", "classes", "base.csv"]),
        BadInput(description: "binary against multiclass", make: {
            (try binary("base.csv"), try file("cand.csv", "label,p_a,p_b,p_c\na,0.5,0.3,0.2\nb,0.2,0.5,0.3\nc,0.1,0.2,0.7\n"))
        }, extra: [], status: 65, message: ["cand.csv", "multiclass", "base.csv", "binary"]),
        BadInput(description: "no such id column", make: {
            (try binary("base.csv"), try binary("cand.csv"))
        }, extra: ["--join-on", "key"], status: 65, message: ["base.csv", "no column 'key'"]),
    ]

    @Test("bad pairs are clear errors naming both files", arguments: badInputs)
    func badInput(_ c: BadInput) throws {
        let (a, b) = try c.make()
        let run = try CalibRun(["compare", a, b, "--bootstrap", "20"] + c.extra)
        #expect(run.status == c.status, "\(run.stderr)")
        for fragment in c.message { #expect(run.stderr.contains(fragment), "missing \(fragment) in \(run.stderr)") }
        #expect(run.stdout.isEmpty)
    }

    @Test("a baseline of probabilities and a candidate of logits compare, each audited in its own kind")
    func probabilitiesAgainstLogits() throws {
        let a = try Self.file("probs.csv", "label,prob\n1,0.9\n0,0.2\n1,0.7\n0,0.4\n1,0.6\n0,0.1\n")
        let b = try Self.file("logits.csv", "label,logit\n1,2\n0,-1\n1,0.5\n0,-0.3\n1,1\n0,-2\n")
        let run = try CalibRun(["compare", a, b, "--bootstrap", "20", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let single = try CalibRun(["audit", b, "--bootstrap", "0", "--format", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        let candidate = ((json?["comparison"] as? [String: Any])?["candidate"] as? [String: Any])?["metrics"] as? [String: Any]
        let alone = (try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any]
        let crossEntropy = try #require(candidate?["crossEntropy"] as? Double)
        #expect(crossEntropy == alone?["crossEntropy"] as? Double)
    }

    @Test("ids in one file only are counted, listed in every format and gateable as unmatchedRows")
    func unmatched() throws {
        let a = try Self.binary("base.csv", rows: 60)
        // The candidate lacks r5 and r6 and has two rows of its own, in another order.
        let ids = (0..<60).map { $0 == 5 ? "x1" : $0 == 6 ? "x2" : "r\($0)" }.reversed()
        let b = try Self.binary("cand.csv", rows: 60, ids: Array(ids), labelOf: { i in let j = 59 - i; return j % 3 == 0 ? 1 : 0 })
        let json = try CalibRun(["compare", a, b, "--join-on", "id", "--bootstrap", "20", "--format", "json", "--fail-on", "unmatchedRows>0"])
        #expect(json.status == 1, "\(json.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let comparison = try #require(doc["comparison"] as? [String: Any])
        let unmatched = try #require(comparison["unmatched"] as? [String: Any])
        #expect(unmatched["baseline"] as? Int == 2 && unmatched["candidate"] as? Int == 2)
        let rows = try #require(unmatched["rows"] as? [[String: Any]])
        #expect(rows.map { $0["id"] as? String } == ["r5", "r6", "x2", "x1"])
        #expect(rows.map { $0["line"] as? Int } == [7, 8, 55, 56])
        #expect((comparison["pairing"] as? [String: Any])?["pairedRows"] as? Int == 58)
        for format in ["terminal", "markdown", "html"] {
            let run = try CalibRun(["compare", a, b, "--join-on", "id", "--bootstrap", "20", "--format", format])
            #expect(run.status == 0)
            #expect(run.stdout.contains("2 only in the baseline, 2 only in the candidate") && run.stdout.contains("x1"), "\(format)")
        }
    }

    @Test("the sample pair: a mixed verdict first, then the delta table, in every format")
    func sampleVerdict() throws {
        for format in ["terminal", "markdown", "html", "json"] {
            let run = try CalibRun(["compare", Self.baseline, Self.candidate, "--bootstrap", "50", "--format", format])
            #expect(run.status == 0, "\(run.stderr)")
            let text = run.stdout.replacingOccurrences(of: "\n  ", with: " ")
            #expect(text.contains("candidate is worse calibrated (ECE +0.0084") && text.contains("but ranks better (AUC +0.07"), "\(format): \(run.stdout.prefix(400))")
            #expect(run.stdout.contains("ranking.rocAUC"))
        }
    }

    struct GateCase: CustomStringConvertible, Sendable {
        let description: String
        let gate: String
        let status: Int32
    }

    static let gateCases = [
        GateCase(description: "significantly worse calibrated fails", gate: "delta.ece.lower>0", status: 1),
        GateCase(description: "AUC not significantly lower passes", gate: "delta.ranking.rocAUC.upper<0", status: 0),
        GateCase(description: "a plain delta", gate: "delta.brier>0", status: 0),
        GateCase(description: "an audit key gates the candidate", gate: "ece>0.001", status: 1),
        GateCase(description: "an unknown key is a usage error", gate: "delta.nonsense>0", status: 64),
        GateCase(description: "bounds of a key without an interval are a usage error", gate: "delta.rows.lower>0", status: 64),
    ]

    @Test("gates on delta.KEY, delta.KEY.lower and delta.KEY.upper", arguments: gateCases)
    func gates(_ c: GateCase) throws {
        let run = try CalibRun(["compare", Self.baseline, Self.candidate, "--bootstrap", "50", "--fail-on", c.gate, "--format", "json"])
        #expect(run.status == c.status, "\(run.stderr)")
    }

    @Test("--report-dir gets the comparison's pages, the index pages and junit.xml; -o JUnit names the pair")
    func reportDirectory() throws {
        let folder = try temporaryFolder() + "/reports"
        let xml = try temporaryFolder() + "/gates.xml"
        let run = try CalibRun(["compare", Self.baseline, Self.candidate, "--bootstrap", "20", "--report-dir", folder, "-o", xml, "--fail-on", "delta.ece>0"])
        #expect(run.status == 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        let name = "fraud_baseline-vs-fraud_candidate"
        #expect(files == ["index.html", "index.md", "junit.xml", "\(name).html", "\(name).json", "\(name).md"].sorted())
        let junit = try String(contentsOfFile: xml, encoding: .utf8)
        #expect(junit.contains("failures=\"1\"") && junit.contains("release/fraud_baseline.csv vs"))
    }

    @Test("GitHub Actions: a failed gate is an ::error:: annotation naming the pair")
    func gitHub() throws {
        let summary = try temporaryFolder() + "/summary.md"
        let run = try CalibRun(["compare", Self.baseline, Self.candidate, "--bootstrap", "20", "--fail-on", "delta.ece>0"],
                               environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(run.status == 1)
        #expect(run.stdout.contains("::error title=calib gate%3A delta.ece>0::SampleData/release/fraud_baseline.csv vs SampleData/release/fraud_candidate.csv"))
        #expect(try String(contentsOfFile: summary, encoding: .utf8).hasPrefix("# calib compare"))
    }

    @Test("identical bytes for --threads 1 and 2 and for repeated runs")
    func determinism() throws {
        let args = ["compare", Self.baseline, Self.candidate, "--bootstrap", "30", "--format", "json"]
        let one = try CalibRun(args + ["--threads", "1"]), two = try CalibRun(args + ["--threads", "2"]), again = try CalibRun(args + ["--threads", "2"])
        #expect(one.status == 0 && !one.stdout.isEmpty)
        #expect(one.stdout == two.stdout)
        #expect(two.stdout == again.stdout)
    }

    @Test("Reports/fraud_release_comparison.* are what the current code makes (run Reports/make_reports.sh)")
    func reportsAreCurrent() throws {
        let folder = try temporaryFolder()
        let outputs = ["html", "md", "json"].flatMap { ["-o", "\(folder)/fraud_release_comparison.\($0)"] }
        let run = try CalibRun(["compare", Self.baseline, Self.candidate] + outputs)
        #expect(run.status == 0, "\(run.stderr)")
        let stored = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/fraud_release_comparison.txt", encoding: .utf8)
        #expect(run.stdout == stored, "Reports/fraud_release_comparison.txt is out of date: run bash Reports/make_reports.sh")
        for ext in ["html", "md", "json"] {
            let fresh = try String(contentsOfFile: "\(folder)/fraud_release_comparison.\(ext)", encoding: .utf8)
            let kept = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/fraud_release_comparison.\(ext)", encoding: .utf8)
            #expect(fresh == kept, "Reports/fraud_release_comparison.\(ext) is out of date: run bash Reports/make_reports.sh")
        }
    }
}
