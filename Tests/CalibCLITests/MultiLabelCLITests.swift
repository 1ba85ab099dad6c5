import CalibTestSupport
import Foundation
import Testing

/// `calib audit --multilabel` end to end (SPEC section 13): bad input is a
/// `file:line: column` error with its exit code, a y_/p_ header without the
/// flag is a usage error that suggests it, and gates take `KEY[LABEL]` and
/// `multilabel.KEY`.
@Suite("calib audit --multilabel")
struct MultiLabelCLITests {
    static let sample = "SampleData/multilabel/spam_categories.csv"

    struct BadInput: Sendable, CustomTestStringConvertible {
        let name: String
        let csv: String
        let flags: [String]
        let status: Int32
        /// What the error must say (after the file's name).
        let message: String
        var testDescription: String { name }
    }

    static let badInputs = [
        BadInput(name: "a target that is not 0/1", csv: "y_spam,p_spam\n1,0.9\n2,0.4\n", flags: ["--multilabel"], status: 65,
                 message: ":3: column 'y_spam': \"2\" is not one of the classes ('0', '1')"),
        BadInput(name: "an empty target", csv: "y_spam,p_spam\n1,0.9\n,0.4\n", flags: ["--multilabel"], status: 65,
                 message: ":3: column 'y_spam': \"\" is an empty label"),
        BadInput(name: "a probability above 1", csv: "y_a,y_b,p_a,p_b\n1,0,0.9,0.2\n0,1,0.3,1.5\n", flags: ["--multilabel"], status: 65,
                 message: ":3: column 'p_b': \"1.5\" is not a probability in [0, 1]"),
        BadInput(name: "a score that is not a number", csv: "y_a,p_a\n1,abc\n", flags: ["--multilabel"], status: 65,
                 message: ":2: column 'p_a': \"abc\" is not a number"),
        BadInput(name: "a y_ column without its p_ column", csv: "y_a,y_b,p_a\n1,0,0.9\n", flags: ["--multilabel"], status: 64,
                 message: "column 'y_b' has no score column"),
        BadInput(name: "a p_ column without its y_ column", csv: "y_a,p_a,p_b\n1,0.9,0.2\n", flags: ["--multilabel"], status: 64,
                 message: "column 'p_b' has no target column"),
        BadInput(name: "y_/p_ pairs without --multilabel", csv: "y_a,y_b,p_a,p_b\n1,0,0.9,0.2\n", flags: [], status: 64,
                 message: "pass --multilabel"),
        BadInput(name: "a negative weight", csv: "y_a,p_a,weight\n1,0.9,-1\n", flags: ["--multilabel"], status: 65,
                 message: ":2: column 'weight': \"-1\" is not a weight"),
    ]

    @Test("bad input: the line, column and value, with the exit code", arguments: badInputs)
    func badInput(_ bad: BadInput) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/labels.csv"
        try bad.csv.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CalibRun(["audit", path] + bad.flags)
        #expect(run.status == bad.status, "\(run.stderr)")
        #expect(run.stderr.contains(bad.message), "\(run.stderr)")
    }

    @Test("--on-invalid skip counts the bad rows and audits the rest")
    func skip() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/labels.csv"
        try "y_a,y_b,p_a,p_b\n1,0,0.9,0.2\n0,1,0.3,1.5\n0,true,0.1,0.7\n1,FALSE,0.6,0.4\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CalibRun(["audit", path, "--multilabel", "--on-invalid", "skip", "--format", "json", "--bootstrap", "0"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let input = json["input"] as! [String: Any]
        #expect(input["rows"] as? Int == 3 && input["skippedRows"] as? Int == 1, "false/true spell 0/1; the 1.5 row is skipped")
    }

    @Test("a label without positive rows has no ROC AUC: the macro averages are null, the reports show a dash")
    func undefinedMacro() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/labels.csv"
        try "y_a,y_b,p_a,p_b\n0,1,0.2,0.7\n0,0,0.6,0.2\n0,1,0.1,0.9\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CalibRun(["audit", path, "--multilabel", "--bootstrap", "0", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let macro = (json["multilabel"] as! [String: Any])["macro"] as! [String: Any]
        #expect(macro["rocAUC"] is NSNull && macro["averagePrecision"] is NSNull && macro["f1"] is Double)
        let text = try CalibRun(["audit", path, "--multilabel", "--bootstrap", "0"])
        #expect(text.stdout.contains("multilabel.macro.rocAUC                  —"), "\(text.stdout)")
    }

    struct GateCase: Sendable, CustomTestStringConvertible {
        let name: String
        let gate: String
        let status: Int32
        let output: String
        var testDescription: String { name }
    }

    static let gates = [
        GateCase(name: "a label's ECE above a bound fails", gate: "ece[promo]>0.05", status: 1, output: "FAIL  ece[promo]>0.05"),
        GateCase(name: "a label's ranking key", gate: "ranking.rocAUC[spam]<0.5", status: 0, output: "pass  ranking.rocAUC[spam]<0.5"),
        GateCase(name: "a summary key", gate: "multilabel.hammingLoss>0.5", status: 0, output: "pass  multilabel.hammingLoss>0.5"),
        GateCase(name: "a nested summary key", gate: "multilabel.macro.f1<0.9", status: 1, output: "FAIL  multilabel.macro.f1<0.9"),
        GateCase(name: "an unknown label lists the labels", gate: "ece[ham]>0.1", status: 64, output: "no label 'ham'; labels: spam, phishing, adult, promo, scam"),
        GateCase(name: "an unknown summary key lists the keys", gate: "multilabel.jaccard>0.1", status: 64, output: "multilabel.hammingLoss"),
        GateCase(name: "a key without a label says how to write one", gate: "ece>0.1", status: 64, output: "KEY[LABEL]"),
        GateCase(name: "an unknown key on a label lists the keys", gate: "eec[spam]>0.1", status: 64, output: "unknown metric 'eec'"),
    ]

    @Test("gates on KEY[LABEL] and multilabel.KEY", arguments: gates)
    func gate(_ g: GateCase) throws {
        let run = try CalibRun(["audit", Self.sample, "--multilabel", "--bootstrap", "0", "--fail-on", g.gate])
        #expect(run.status == g.status, "\(run.stderr)")
        #expect((run.stdout + run.stderr).contains(g.output), "\(run.stdout)\(run.stderr)")
    }

    @Test("the JSON report has labels[] and the multilabel summary; JUnit lists the gates")
    func json() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try CalibRun(["audit", Self.sample, "--multilabel", "--bootstrap", "0", "--format", "json", "--warn-on", "ece[scam]>0.01",
                                "-o", folder + "/gates.xml"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let labels = json["labels"] as! [[String: Any]]
        #expect(labels.map { $0["label"] as! String } == ["spam", "phishing", "adult", "promo", "scam"])
        #expect(labels.allSatisfy { $0["metrics"] is [String: Any] && $0["ranking"] is [String: Any] && $0["positiveRate"] is Double })
        let summary = json["multilabel"] as! [String: Any]
        #expect(summary["hammingLoss"] is Double && (summary["micro"] as? [String: Any])?["rocAUC"] is Double)
        let junit = try String(contentsOfFile: folder + "/gates.xml", encoding: .utf8)
        #expect(junit.contains("name=\"ece[scam]&gt;0.01\""))
    }
}

@Suite("calib audit --multilabel: the sample's reports")
struct MultiLabelReportFileTests {
    @Test("Reports/spam_categories.* are what the current code makes (run Reports/make_reports.sh)")
    func reportsAreCurrent() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let outputs = ["html", "md", "json"].flatMap { ["-o", "\(folder)/spam_categories.\($0)"] }
        let run = try CalibRun(["audit", MultiLabelCLITests.sample, "--multilabel"] + outputs)
        #expect(run.status == 0, "\(run.stderr)")
        let stored = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/spam_categories.txt", encoding: .utf8)
        #expect(run.stdout == stored, "Reports/spam_categories.txt is out of date: run bash Reports/make_reports.sh")
        for ext in ["html", "md", "json"] {
            let fresh = try String(contentsOfFile: "\(folder)/spam_categories.\(ext)", encoding: .utf8)
            let kept = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/spam_categories.\(ext)", encoding: .utf8)
            #expect(fresh == kept, "Reports/spam_categories.\(ext) is out of date: run bash Reports/make_reports.sh")
        }
    }

    @Test("label names are escaped in HTML and Markdown")
    func escaping() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/hostile.csv"
        try "y_<b>x</b>,p_<b>x</b>,y_a|b,p_a|b\n1,0.9,0,0.2\n0,0.3,1,0.7\n1,0.6,1,0.4\n".write(toFile: path, atomically: true, encoding: .utf8)
        let run = try CalibRun(["audit", path, "--multilabel", "--bootstrap", "0", "-o", folder + "/r.html", "-o", folder + "/r.md"])
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: folder + "/r.html", encoding: .utf8)
        #expect(!html.contains("<b>x</b>") && html.contains("&lt;b&gt;x&lt;/b&gt;"))
        let markdown = try String(contentsOfFile: folder + "/r.md", encoding: .utf8)
        #expect(!markdown.contains("| a|b |"), "a pipe in a label does not split a Markdown table cell")
    }

    @Test("the report is the same bytes for --threads 1 and 2")
    func threads() throws {
        let args = ["audit", MultiLabelCLITests.sample, "--multilabel", "--format", "json", "--bootstrap", "20"]
        let one = try CalibRun(args + ["--threads", "1"]), two = try CalibRun(args + ["--threads", "2"])
        #expect(one.status == 0 && !one.stdout.isEmpty)
        #expect(one.stdout == two.stdout)
    }
}
