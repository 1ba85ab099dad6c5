import CalibCore
import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 12 on the command line: `calib fit` (the calibrator file and
/// its cross-fitted report), `calib apply` (the rewrite keeps every byte but
/// the scores, in every format), the prior-shift flags and `calib prior`.
@Suite("calib fit, apply and prior")
struct FitApplyPriorCLITests {
    static let downsampled = "SampleData/fraud_downsampled_weighted.csv"

    static func json(_ path: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    /// Writes a calibrator file by hand.
    static func calibrator(_ method: String, _ parameters: String, classes: String = "[\"0\", \"1\"]", positive: String = "\"1\"", in folder: String) throws -> String {
        let path = folder + "/\(method)-\(UUID().uuidString.prefix(6)).json"
        try write("""
            {"schemaVersion": 1, "method": "\(method)", "classes": \(classes), "positiveClass": \(positive),
             "parameters": \(parameters), "fittedOn": {"source": "hand", "rows": 10, "weighted": false}}
            """, to: path)
        return path
    }

    // MARK: - fit

    @Test("calib fit writes the calibrator file of SPEC 12 and prints the parameters and the cross-fitted before/after",
          arguments: RecalibrationMethod.allCases)
    func fit(method: RecalibrationMethod) throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["fit", Self.downsampled, "--method", method.rawValue, "-o", folder + "/c.json"])
        #expect(run.status == 0, "\(run.stderr)")
        let file = try Self.json(folder + "/c.json")
        #expect(Set(file.keys) == ["schemaVersion", "method", "classes", "positiveClass", "parameters", "fittedOn"])
        #expect(file["schemaVersion"] as? Int == 1 && file["method"] as? String == method.rawValue)
        #expect(file["classes"] as? [String] == ["0", "1"] && file["positiveClass"] as? String == "1")
        let fitted = try #require(file["fittedOn"] as? [String: Any])
        #expect(fitted["source"] as? String == Self.downsampled && fitted["rows"] as? Int == 13522 && fitted["weighted"] as? Bool == true)
        #expect(run.stdout.contains("parameters: ") && run.stdout.contains("5-fold cross-fitted"))
        for metric in ["cross-entropy", "Brier score", "ECE (positive class)", "equal-mass ECE", "smooth ECE", "ROC AUC"] {
            #expect(run.stdout.contains(metric), "\(method): \(metric) in the before/after table")
        }
    }

    @Test("the calibrator file holds the engine's fit exactly: every number reads back to the same Double",
          arguments: [RecalibrationMethod.temperature, .platt, .beta, .isotonic, .histogram])
    func exactNumbers(method: RecalibrationMethod) throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["fit", Self.downsampled, "--method", method.rawValue, "-o", folder + "/c.json", "--bins", "10"])
        #expect(run.status == 0, "\(run.stderr)")
        let (table, summary) = try TableLoader.load(.file(TestPaths.packageRoot + "/" + Self.downsampled))
        let engine = try Recalibration.fit(method, table: table, classes: summary.classes, bins: 10)
        // The numbers as written (Foundation's JSON reader may be an ulp off; Double(String) is exact).
        let text = try Self.read(folder + "/c.json")
        let parameters = String(text[text.range(of: "\"parameters\": ")!.upperBound...].prefix { $0 != "\n" })
        let numbers = parameters.split(whereSeparator: { ",[]{}: ".contains($0) }).compactMap { Double(String($0)) }
        let expected: [Double]
        switch engine.parameters {
        case let .temperature(t): expected = [t]
        case let .platt(a, b): expected = [a, b]
        case let .beta(a, b, c): expected = [a, b, c]
        case let .isotonic(thresholds, values): expected = thresholds + values
        case let .histogram(edges, values): expected = [10] + edges + values
        }
        #expect(numbers.map(\.bitPattern) == expected.map(\.bitPattern), "\(method): \(parameters.prefix(200))")
    }

    @Test("--no-cross-fit only fits: the same calibrator file, no before/after table")
    func noCrossFit() throws {
        let folder = try temporaryFolder()
        var run = try CalibRun(["fit", Self.downsampled, "--method", "beta", "-o", folder + "/a.json"])
        #expect(run.status == 0)
        run = try CalibRun(["fit", Self.downsampled, "--method", "beta", "-o", folder + "/b.json", "--no-cross-fit"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains("cross-fitted") && run.stdout.contains("parameters: a = "))
        #expect(try Self.read(folder + "/a.json") == Self.read(folder + "/b.json"))
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "Platt on separable data", arguments: ["fit", "Tests/CalibCoreTests/Golden/separable_binary.csv", "--method", "platt", "-o", "x.json"],
                status: 65, message: "separable data"),
        Refusal(name: "beta on separable data", arguments: ["fit", "Tests/CalibCoreTests/Golden/separable_binary.csv", "--method", "beta", "-o", "x.json"],
                status: 65, message: "separable data"),
        Refusal(name: "one class only", arguments: ["fit", "Tests/CalibCoreTests/Golden/edge_no_positive.csv", "--method", "isotonic", "-o", "x.json"],
                status: 65, message: "only one class"),
        Refusal(name: "isotonic on a multiclass task", arguments: ["fit", "Tests/CalibCoreTests/Golden/multiclass_probs.csv", "--method", "isotonic", "-o", "x.json"],
                status: 65, message: "for binary tasks"),
        Refusal(name: "a missing input", arguments: ["fit", "no-such-file.csv", "--method", "platt", "-o", "x.json"], status: 66, message: "no-such-file.csv"),
        Refusal(name: "an unknown method", arguments: ["fit", downsampled, "--method", "spline", "-o", "x.json"], status: 64, message: "spline"),
    ]

    @Test("weights whose sum overflows: calib fit refuses them (exit 65) and audit --recalibrate says why, never a crash",
          arguments: ["isotonic", "histogram", "platt"])
    func overflowingWeights(method: String) throws {
        let input = "label,score,w\n0,0.1,1e308\n1,0.9,1e308\n0,0.6,1e308\n1,0.4,1e308\n0,0.3,1e308\n1,0.7,1e308\n"
        let folder = try temporaryFolder()
        try input.write(toFile: folder + "/huge.csv", atomically: true, encoding: .utf8)
        for extra in [[], ["--no-cross-fit"]] {
            let fit = try CalibRun(["fit", folder + "/huge.csv", "--weight", "w", "--method", method, "-o", folder + "/c.json"] + extra)
            #expect(!fit.terminatedBySignal && fit.status == 65, "\(method) \(extra): \(fit.stderr)")
            #expect(fit.stderr.contains("the weights' sum overflows"), "\(fit.stderr)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/c.json"))
        }
        let audit = try CalibRun(["audit", folder + "/huge.csv", "--weight", "w", "--recalibrate", method, "--bootstrap", "0", "--format", "json"])
        #expect(!audit.terminatedBySignal, "\(audit.stderr)")
        #expect((audit.stdout + audit.stderr).contains("the weights' sum overflows"), "\(audit.status): \(audit.stderr)")
    }

    @Test("calib fit refuses what it cannot fit, with the reason and no file", arguments: refusals)
    func refused(_ c: Refusal) throws {
        let run = try CalibRun(c.arguments)
        #expect(run.status == c.status, "\(c.name): \(run.stderr)")
        #expect(run.stderr.contains(c.message), "\(c.name): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: TestPaths.packageRoot + "/x.json"))
    }

    @Test("a multiclass temperature fit on logits, applied to its own JSON Lines file, keeps every argmax")
    func multiclassTemperature() throws {
        let folder = try temporaryFolder()
        let input = "SampleData/news_topics_logits.jsonl"
        var run = try CalibRun(["fit", input, "--method", "temperature", "-o", folder + "/t.json"])
        #expect(run.status == 0, "\(run.stderr)")
        run = try CalibRun(["apply", folder + "/t.json", input, "-o", folder + "/out.jsonl"])
        #expect(run.status == 0, "\(run.stderr)")
        let before = try Self.read(TestPaths.packageRoot + "/" + input).split(separator: "\n")
        let after = try Self.read(folder + "/out.jsonl").split(separator: "\n")
        #expect(before.count == after.count)
        func argmax(_ line: Substring) throws -> String {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object.filter { $0.key.hasPrefix("logit_") }.max { ($0.value as! Double) < ($1.value as! Double) }!.key
        }
        for (b, a) in zip(before, after) { #expect(try argmax(b) == argmax(a)) }
    }

    // MARK: - apply

    struct Format: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        /// Records as (text before the score, the score, text after); the first is the header.
        let header: String
        let rows: [(String, String, String)]
        var testDescription: String { name }

        var input: String { header + rows.map { $0.0 + $0.1 + $0.2 }.joined() }

        /// The expected output of Platt `a = 2, b = −1` (scores are written bare; quoted ones lose their quotes in CSV).
        func expected(_ calibrator: Calibrator, jsonStringScores: Bool = false) -> String {
            header + rows.map { prefix, score, suffix in
                let quoted = score.hasPrefix("\"")
                let value = Double(quoted ? String(score.dropFirst().dropLast()) : score)!
                let new = calibrator.applyBinary(value, kind: .probabilities, as: .probabilities)
                let text = quoted && name.contains("JSON") ? "\"\(new)\"" : "\(new)"
                return prefix + text + suffix
            }.joined()
        }
    }

    static let formats: [Format] = [
        Format(name: "quoted CSV: BOM, CRLF, commas, quotes and line breaks in fields, a quoted score", file: "in.csv",
               header: "\u{FEFF}id,\"note, with comma\",prob,label\r\n",
               rows: [("a1,\"he said \"\"hi\"\"\",", "0.25", ",1\r\n"),
                      ("\"a,2\",\"two\nlines\",", "\"0.5\"", ",0\r\n"),
                      ("a3,,", "0.9", ",1\r\n"),
                      ("a4,  spaced  ,", "1e-3", ",0")]),
        Format(name: "TSV: tabs, empty fields, trailing blank line", file: "in.tsv",
               header: "label\tscore\tcomment\n",
               rows: [("1\t", "0.7", "\tx y\n"), ("0\t", "0.125", "\t\n"), ("0\t", "0", "\t\"q\"\n\n")]),
        Format(name: "JSON Lines: key order, spacing, nested values, a string score", file: "in.jsonl",
               header: "",
               rows: [("{\"label\": 1, \"prob\": ", "0.3", ", \"meta\": {\"a\": [1, 2]}}\n"),
                      ("{ \"prob\" :", "0.75", " , \"label\":0,\"note\":\"é\\\"x\"}\n"),
                      ("{\"prob\": ", "\"0.5\"", ", \"label\": \"1\"}\n")]),
    ]

    @Test("calib apply keeps every byte but the scores (plain, gzip input, gzip output, standard output)", arguments: formats)
    func roundTrip(_ format: Format) throws {
        let folder = try temporaryFolder()
        let calibrator = try Self.calibrator("platt", "{\"a\": 2, \"b\": -1}", in: folder)
        try Self.write(format.input, to: folder + "/" + format.file)
        let expected = format.expected(Calibrator(classes: ["0", "1"], parameters: .platt(a: 2, b: -1)))
        var run = try CalibRun(["apply", calibrator, folder + "/" + format.file, "-o", folder + "/out"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try Self.read(folder + "/out") == expected)
        // Gzip in (the format from the name under .gz), gzip out.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -n -c '\(folder)/\(format.file)' > '\(folder)/\(format.file).gz'"]
        try gzip.run()
        gzip.waitUntilExit()
        run = try CalibRun(["apply", calibrator, folder + "/" + format.file + ".gz", "-o", folder + "/out.gz"])
        #expect(run.status == 0, "\(run.stderr)")
        let gunzip = Process()
        gunzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gunzip.arguments = ["-c", "gzip -d -c '\(folder)/out.gz' > '\(folder)/back'"]
        try gunzip.run()
        gunzip.waitUntilExit()
        #expect(gunzip.terminationStatus == 0)
        #expect(try Self.read(folder + "/back") == expected)
        // Standard output, from standard input.
        let formatFlag = format.file.hasSuffix(".jsonl") ? "jsonl" : format.file.hasSuffix(".tsv") ? "tsv" : "csv"
        run = try CalibRun(["apply", calibrator, "-", "-o", "-", "--input-format", formatFlag], stdin: format.input)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == expected)
    }

    @Test("the identity (T = 1), train = deploy priors and negative sampling at rate 1 reproduce the input byte for byte",
          arguments: [["--negative-sampling", "1"], ["--train-prior", "0=0.7,1=0.3", "--deploy-prior", "1=0.3,0=0.7"], []])
    func identity(flags: [String]) throws {
        let folder = try temporaryFolder()
        let calibrator = try Self.calibrator("temperature", "{\"temperature\": 1}", in: folder)
        for format in Self.formats {
            try Self.write(format.input, to: folder + "/" + format.file)
            let run = try CalibRun(["apply", calibrator, folder + "/" + format.file, "-o", folder + "/out"] + flags)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try Self.read(folder + "/out") == format.input, "\(format.name) \(flags)")
        }
        let run = try CalibRun(["apply", calibrator, Self.downsampled, "-o", folder + "/big.csv"] + flags)
        #expect(run.status == 0)
        #expect(try Self.read(folder + "/big.csv") == Self.read(TestPaths.packageRoot + "/" + Self.downsampled))
    }

    @Test("--negative-sampling β rewrites s to βs / (βs − s + 1) after the calibrator", arguments: [0.1, 0.5])
    func negativeSampling(beta: Double) throws {
        let folder = try temporaryFolder()
        let calibrator = try Self.calibrator("temperature", "{\"temperature\": 1}", in: folder)
        try Self.write("label,prob\n1,0.2\n0,0.9\n", to: folder + "/in.csv")
        let run = try CalibRun(["apply", calibrator, folder + "/in.csv", "-o", "-", "--negative-sampling", "\(beta)"])
        #expect(run.status == 0, "\(run.stderr)")
        let values = run.stdout.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[1])! }
        for (s, v) in zip([0.2, 0.9], values) { #expect(isClose(v, beta * s / (beta * s - s + 1), relative: 1e-15)) }
    }

    struct ApplyError: CustomTestStringConvertible, Sendable {
        let name: String
        let calibrator: String
        let input: String
        let flags: [String]
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let applyErrors: [ApplyError] = [
        ApplyError(name: "a missing calibrator file", calibrator: "MISSING", input: "label,prob\n1,0.5\n", flags: [], status: 66, message: "cannot read the calibrator file"),
        ApplyError(name: "a calibrator file that is not JSON", calibrator: "{\"schemaVersion\": 1,", input: "label,prob\n1,0.5\n", flags: [], status: 65, message: "not valid JSON"),
        ApplyError(name: "an unknown key", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["0", "1"], "positiveClass": "1", "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}, "extra": 1}"#,
                   input: "label,prob\n1,0.5\n", flags: [], status: 65, message: "unknown key \"extra\""),
        ApplyError(name: "a key given twice", calibrator: #"{"schemaVersion": 1, "method": "platt", "method": "beta", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n", flags: [], status: 65, message: "method"),
        ApplyError(name: "a newer schema version", calibrator: #"{"schemaVersion": 2, "method": "platt", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n", flags: [], status: 65, message: "schemaVersion 2"),
        ApplyError(name: "a temperature of 0", calibrator: #"{"schemaVersion": 1, "method": "temperature", "classes": ["0", "1"], "parameters": {"temperature": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n", flags: [], status: 65, message: "above 0"),
        ApplyError(name: "score columns of other classes", calibrator: #"{"schemaVersion": 1, "method": "temperature", "classes": ["cat", "dog", "bird"], "positiveClass": null, "parameters": {"temperature": 2}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,p_cat,p_dog,p_fish\ncat,0.5,0.3,0.2\n", flags: [], status: 64, message: "'fish'"),
        ApplyError(name: "a binary score column naming the negative class", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["legit", "fraud"], "positiveClass": "fraud", "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,p_legit\nlegit,0.5\n", flags: [], status: 64, message: "positive class is 'fraud'"),
        ApplyError(name: "a score that is not a probability", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n0,1.5\n", flags: [], status: 65, message: ":3: column 'prob'"),
        ApplyError(name: "a record with too many fields", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5,7\n", flags: [], status: 65, message: "3 fields"),
        ApplyError(name: "--deploy-prior without --train-prior", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n", flags: ["--deploy-prior", "0=0.5,1=0.5"], status: 64, message: "--train-prior"),
        ApplyError(name: "a prior for a class the calibrator does not have", calibrator: #"{"schemaVersion": 1, "method": "platt", "classes": ["0", "1"], "parameters": {"a": 1, "b": 0}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,prob\n1,0.5\n", flags: ["--train-prior", "0=0.5,2=0.5", "--deploy-prior", "0=0.5,1=0.5"], status: 64, message: "'2' is not a class"),
        ApplyError(name: "negative sampling on a multiclass calibrator", calibrator: #"{"schemaVersion": 1, "method": "temperature", "classes": ["cat", "dog", "bird"], "parameters": {"temperature": 2}, "fittedOn": {"source": "x", "rows": 1, "weighted": false}}"#,
                   input: "label,p_cat,p_dog,p_bird\ncat,0.5,0.3,0.2\n", flags: ["--negative-sampling", "0.5"], status: 64, message: "binary"),
    ]

    @Test("calib apply stops with the documented exit code and a message, and leaves no output", arguments: applyErrors)
    func applyError(_ c: ApplyError) throws {
        let folder = try temporaryFolder()
        let calibrator = folder + "/c.json"
        if c.calibrator != "MISSING" { try Self.write(c.calibrator, to: calibrator) }
        try Self.write(c.input, to: folder + "/in.csv")
        let run = try CalibRun(["apply", calibrator, folder + "/in.csv", "-o", folder + "/out.csv"] + c.flags)
        #expect(run.status == c.status, "\(c.name): \(run.stderr)")
        #expect(run.stderr.contains(c.message), "\(c.name): \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out.csv"), "\(c.name): no partial output")
    }

    @Test("fit → apply → audit on the downsampled sample: the applied file's audit matches the calibrator, every other column unchanged")
    func loop() throws {
        let folder = try temporaryFolder()
        var run = try CalibRun(["fit", Self.downsampled, "--method", "platt", "-o", folder + "/c.json"])
        #expect(run.status == 0, "\(run.stderr)")
        run = try CalibRun(["apply", folder + "/c.json", Self.downsampled, "-o", folder + "/fixed.csv"])
        #expect(run.status == 0, "\(run.stderr)")
        let before = try Self.read(TestPaths.packageRoot + "/" + Self.downsampled).split(separator: "\n")
        let after = try Self.read(folder + "/fixed.csv").split(separator: "\n")
        #expect(before.count == after.count && before.first == after.first)
        for (b, a) in zip(before.dropFirst(), after.dropFirst()) {
            let bf = b.split(separator: ",", omittingEmptySubsequences: false), af = a.split(separator: ",", omittingEmptySubsequences: false)
            #expect(bf[0] == af[0] && bf[1] == af[1] && bf[3] == af[3])
        }
        run = try CalibRun(["audit", folder + "/fixed.csv", "--format", "json"])
        let metrics = try #require((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["metrics"] as? [String: Any])
        let ece = try #require(metrics["ece"] as? Double)
        #expect(ece < 0.005, "in-sample Platt leaves ECE \(ece)")
        #expect(Swift.abs(try #require(metrics["calibrationInTheLarge"] as? Double)) < 1e-9, "the MLE intercept makes the mean score the observed rate")
    }

    // MARK: - prior

    /// A calibrated model under a training prior of ½ (x | y ~ N(±1, 1), s = σ(2x)), deployed at prior 0.2.
    static func shifted(rows: Int, labels: Bool) -> String {
        var rng = SeededGenerator(seed: 161)
        var text = labels ? "label,prob\n" : "prob\n"
        for _ in 0..<rows {
            let y = Double.random(in: 0..<1, using: &rng) < 0.2 ? 1 : 0
            let x = rng.normal() + (y == 1 ? 1 : -1)
            text += (labels ? "\(y)," : "") + "\(StableMath.sigmoid(2 * x))\n"
        }
        return text
    }

    @Test("calib prior estimates a known shift from unlabelled scores, and shows the observed prior beside it when labels exist")
    func prior() throws {
        let folder = try temporaryFolder()
        try Self.write(Self.shifted(rows: 20_000, labels: false), to: folder + "/unlabelled.csv")
        try Self.write(Self.shifted(rows: 20_000, labels: true), to: folder + "/labelled.csv")
        var run = try CalibRun(["prior", folder + "/unlabelled.csv", "--train-prior", "0=0.5,1=0.5", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let estimate = try #require((object["estimate"] as? [String: Double])?["1"])
        #expect(Swift.abs(estimate - 0.2) < 0.02, "estimate \(estimate) for a deployed prior of 0.2")
        #expect(object["converged"] as? Bool == true && (object["iterations"] as? Int ?? 0) > 1)
        #expect(object["observedPrior"] is NSNull)
        // The truth (0.2) lies within the 95% basic bootstrap interval.
        let interval = try #require(((object["interval"] as? [String: Any])?["classes"] as? [String: Any])?["1"] as? [String: Double])
        #expect(interval["lower"]! < 0.2 && 0.2 < interval["upper"]! && interval["upper"]! - interval["lower"]! < 0.05, "\(interval)")
        run = try CalibRun(["prior", folder + "/labelled.csv", "--train-prior", "0=0.5,1=0.5", "--format", "json"])
        object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let observed = try #require((object["observedPrior"] as? [String: Double])?["1"])
        #expect(Swift.abs(observed - 0.2) < 0.01)
        #expect(Swift.abs(try #require((object["estimate"] as? [String: Double])?["1"]) - observed) < 0.02)
        run = try CalibRun(["prior", folder + "/labelled.csv", "--bootstrap", "0"])
        #expect(run.status == 0 && run.stdout.contains("observed") && run.stdout.contains("estimate") && !run.stdout.contains("interval"), "\(run.stderr)")
    }

    @Test("calib prior without labels needs --train-prior", arguments: [[String](), ["--train-prior", "a=0.5,b=0.5"]])
    func priorNeedsTrain(flags: [String]) throws {
        let folder = try temporaryFolder()
        try Self.write("prob\n0.2\n0.7\n", to: folder + "/u.csv")
        let run = try CalibRun(["prior", folder + "/u.csv"] + flags)
        #expect(run.status == (flags.isEmpty ? 65 : 64), "\(run.stderr)")
        #expect(run.stderr.contains(flags.isEmpty ? "--train-prior" : "--positive"))
    }
}
