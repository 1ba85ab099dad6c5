import CalibCore
import CalibInput
import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 12 on `calib audit`: `--recalibrate METHOD,…` (the
/// `recalibration[]` key and the "What would fix it" section of every
/// report) and the prior-shift flags, which audit the adjusted scores.
@Suite("calib audit --recalibrate and the prior-shift flags")
struct RecalibrateAuditTests {
    static let downsampled = "SampleData/fraud_downsampled_weighted.csv"

    static func object(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// The text of the top-level `"metrics": {…}` object of a JSON report, as printed.
    static func metricsText(_ json: String) throws -> String {
        let start = try #require(json.range(of: "\"metrics\": {"))
        var depth = 0
        var index = json.index(before: start.upperBound)
        while index < json.endIndex {
            if json[index] == "{" { depth += 1 }
            if json[index] == "}" { depth -= 1; if depth == 0 { break } }
            index = json.index(after: index)
        }
        return String(json[start.lowerBound...index])
    }

    @Test("recalibration[] holds each method's parameters as calib fit writes them and the engine's audit of its cross-fitted scores",
          arguments: [RecalibrationMethod.platt, .isotonic, .temperature, .beta, .histogram])
    func matchesFit(method: RecalibrationMethod) throws {
        let folder = try temporaryFolder()
        let audit = try CalibRun(["audit", Self.downsampled, "--recalibrate", method.rawValue, "--format", "json"])
        #expect(audit.status == 0, "\(audit.stderr)")
        let entries = try #require(try Self.object(audit.stdout)["recalibration"] as? [[String: Any]])
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(Set(entry.keys) == ["method", "parameters", "metrics", "refusal"])
        #expect(entry["method"] as? String == method.rawValue && entry["refusal"] is NSNull)

        let fit = try CalibRun(["fit", Self.downsampled, "--method", method.rawValue, "-o", folder + "/c.json"])
        #expect(fit.status == 0, "\(fit.stderr)")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/c.json"))) as? [String: Any])
        #expect(NSDictionary(dictionary: try #require(file["parameters"] as? [String: Any])).isEqual(to: try #require(entry["parameters"] as? [String: Any])))

        let metrics = try #require(entry["metrics"] as? [String: Double])
        #expect(Set(metrics.keys) == ["crossEntropy", "brier", "ece", "equalMassECE", "smoothECE", "rocAUC"])
        // Compared as printed: the numbers are the engine's to the last bit.
        let printed = try #require(audit.stdout.range(of: "\"recalibration\": ")).upperBound
        let recalibration = String(audit.stdout[printed...])
        let (table, summary) = try TableLoader.load(.file(Self.downsampled))
        let scores = try Recalibration.crossFitted(method, table: table)
        let engine = RecalibrationSummary.audit(scores, classes: summary.classes, settings: AuditSettings(), runner: nil)
        for metric in RecalibrationMetric.all {
            let expected = "\"\(metric.key)\": \(JSONValue.finite(metric.value(in: engine)).serialized().trimmingCharacters(in: .whitespacesAndNewlines))"
            #expect(recalibration.contains(expected), "\(method): \(expected)")
            // calib fit prints the same value in its "after" column (5 decimals).
            let line = fit.stdout.split(separator: "\n").first { $0.hasPrefix("  " + metric.label(.binary) + " ") }
            #expect(line?.split(separator: " ", omittingEmptySubsequences: true).dropFirst(metric.label(.binary).split(separator: " ").count + 1).first
                    .map(String.init) == NumberText.fixed(metric.value(in: engine), 5), "\(method): calib fit's \(metric.key)")
        }
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let methods: String
        let refused: String
        let reason: String
        let fitted: String
        var testDescription: String { name }
    }

    static let refusals = [
        Refusal(name: "Platt on separable data", file: "Tests/CalibCoreTests/Golden/separable_binary.csv", methods: "platt,isotonic",
                refused: "platt", reason: "separable", fitted: "isotonic"),
        Refusal(name: "beta on separable data", file: "Tests/CalibCoreTests/Golden/separable_binary.csv", methods: "beta,isotonic",
                refused: "beta", reason: "separable", fitted: "isotonic"),
        Refusal(name: "isotonic on a multiclass task", file: "Tests/CalibCoreTests/Golden/multiclass_probs.csv", methods: "isotonic,temperature",
                refused: "isotonic", reason: "binary", fitted: "temperature"),
    ]

    @Test("a method that refuses the data is listed with its reason, and the audit and the other methods go on", arguments: refusals)
    func refused(_ c: Refusal) throws {
        let run = try CalibRun(["audit", c.file, "--recalibrate", c.methods, "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let entries = try #require(try Self.object(run.stdout)["recalibration"] as? [[String: Any]])
        let refused = try #require(entries.first { $0["method"] as? String == c.refused })
        #expect(refused["parameters"] is NSNull && refused["metrics"] is NSNull)
        #expect((refused["refusal"] as? String)?.contains(c.reason) == true, "\(refused["refusal"] ?? "")")
        let fitted = try #require(entries.first { $0["method"] as? String == c.fitted })
        #expect(fitted["refusal"] is NSNull && fitted["metrics"] is [String: Any])
        let text = try CalibRun(["audit", c.file, "--recalibrate", c.methods])
        #expect(text.stdout.contains("\(c.refused) refused: "))
    }

    @Test("an unknown method is a usage error (exit 64) naming the methods")
    func unknownMethod() throws {
        let run = try CalibRun(["audit", Self.downsampled, "--recalibrate", "platt,logistic"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("'logistic' is not a method") && run.stderr.contains("temperature, platt, isotonic, histogram, beta"))
    }

    @Test("every report format has the What would fix it section with each method", arguments: ["txt", "md", "html"])
    func everyFormat(ext: String) throws {
        let folder = try temporaryFolder()
        let path = folder + "/report." + ext
        let arguments = ext == "txt" ? ["audit", Self.downsampled, "--recalibrate", "platt,isotonic"]
                                     : ["audit", Self.downsampled, "--recalibrate", "platt,isotonic", "-o", path]
        let run = try CalibRun(arguments, environment: ["NO_COLOR": "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = ext == "txt" ? run.stdout : String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(text.contains("What would fix it"))
        #expect(text.contains("as audited") && text.contains("platt") && text.contains("isotonic"))
        #expect(text.contains("a = ") && text.contains("thresholds"))
        if ext == "html" {
            #expect(text.contains("id=\"recalibrated-platt\"") && text.contains("id=\"recalibrated-isotonic\""))
        }
        let plain = try CalibRun(["audit", Self.downsampled] + (ext == "txt" ? [] : ["-o", path]), environment: ["NO_COLOR": "1"])
        let without = ext == "txt" ? plain.stdout : String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(!without.contains("What would fix it"), "only with --recalibrate")
    }

    struct Shift: CustomTestStringConvertible, Sendable {
        let name: String
        let flags: [String]
        let words: String
        var testDescription: String { name }
    }

    static let shifts = [
        Shift(name: "negative sampling at rate 0.05", flags: ["--negative-sampling", "0.05"], words: "negative sampling at rate 0.05"),
        Shift(name: "train and deploy priors", flags: ["--train-prior", "0=0.8,1=0.2", "--deploy-prior", "0=0.98,1=0.02"],
              words: "deploy prior 0=0.98, 1=0.02; train prior 0=0.8, 1=0.2"),
    ]

    @Test("the prior-shift flags audit the scores calib apply writes with them: the same metrics, byte for byte, and the reports say so",
          arguments: shifts)
    func priorShift(_ c: Shift) throws {
        let folder = try temporaryFolder()
        let identity = folder + "/identity.json"
        try Data("""
            {"schemaVersion": 1, "method": "temperature", "classes": ["0", "1"], "positiveClass": "1",
             "parameters": {"temperature": 1}, "fittedOn": {"source": "hand", "rows": 10, "weighted": false}}
            """.utf8).write(to: URL(fileURLWithPath: identity))
        let applied = try CalibRun(["apply", identity, Self.downsampled, "-o", folder + "/shifted.csv"] + c.flags)
        #expect(applied.status == 0, "\(applied.stderr)")
        let viaApply = try CalibRun(["audit", folder + "/shifted.csv", "--format", "json"])
        let direct = try CalibRun(["audit", Self.downsampled, "--format", "json"] + c.flags)
        let unshifted = try CalibRun(["audit", Self.downsampled, "--format", "json"])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(try Self.metricsText(direct.stdout) == Self.metricsText(viaApply.stdout))
        #expect(try Self.metricsText(direct.stdout) != Self.metricsText(unshifted.stdout))
        let settings = try #require(try Self.object(direct.stdout)["settings"] as? [String: Any])
        #expect((settings["scoreAdjustment"] as? String)?.contains(c.words) == true, "\(settings)")
        for ext in ["md", "html"] {
            let path = folder + "/report." + ext
            _ = try CalibRun(["audit", Self.downsampled, "-o", path] + c.flags)
            #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self).contains(c.words), "\(ext)")
        }
        let terminal = try CalibRun(["audit", Self.downsampled] + c.flags, environment: ["NO_COLOR": "1"])
        #expect(terminal.stdout.contains("scores adjusted: " + c.words.prefix(20)))
    }

    @Test("--recalibrate and the prior-shift flags need a file, not standard input (exit 64)")
    func standardInput() throws {
        let run = try CalibRun(["audit", "-", "--recalibrate", "platt"], stdin: "label,prob\n0,0.2\n1,0.7\n")
        #expect(run.status == 64)
        #expect(run.stderr.contains("standard input"))
    }

    @Test("Reports/fraud_downsampled_recalibrated.* are what the current code makes (run Reports/make_reports.sh)")
    func reportsAreCurrent() throws {
        let folder = try temporaryFolder()
        let outputs = ["html", "md", "json"].flatMap { ["-o", "\(folder)/fraud_downsampled_recalibrated.\($0)"] }
        let run = try CalibRun(["audit", Self.downsampled, "--recalibrate", "platt,isotonic,temperature"] + outputs, environment: ["NO_COLOR": "1"])
        #expect(run.status == 0, "\(run.stderr)")
        let stored = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/fraud_downsampled_recalibrated.txt", encoding: .utf8)
        #expect(run.stdout == stored, "Reports/fraud_downsampled_recalibrated.txt is out of date: run bash Reports/make_reports.sh")
        for ext in ["html", "md", "json"] {
            let fresh = try String(contentsOfFile: "\(folder)/fraud_downsampled_recalibrated.\(ext)", encoding: .utf8)
            let kept = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/fraud_downsampled_recalibrated.\(ext)", encoding: .utf8)
            #expect(fresh == kept, "Reports/fraud_downsampled_recalibrated.\(ext) is out of date: run bash Reports/make_reports.sh")
        }
    }

    @Test("class names in the recalibration section are escaped in the HTML and Markdown reports", arguments: ["html", "md"])
    func escaped(ext: String) throws {
        let folder = try temporaryFolder()
        let hostile = "<script>alert(1)</script>|x"
        var rows = ["label,prob"]
        for i in 0..<200 {
            let s = Double(i % 50) / 50 + 0.01
            rows.append("\(i % 3 == 0 || Double(i % 7) / 7 < s ? "\"\(hostile)\"" : "legit"),\(s)")
        }
        try Data((rows.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/in.csv"))
        let path = folder + "/r." + ext
        let run = try CalibRun(["audit", folder + "/in.csv", "--positive", hostile, "--recalibrate", "platt,isotonic", "-o", path])
        #expect(run.status == 0, "\(run.stderr)")
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        #expect(text.contains("What would fix it"))
        #expect(!text.contains("<script>"))
        if ext == "html" { #expect(text.contains("id=\"recalibrated-platt\"")) }
    }
}
