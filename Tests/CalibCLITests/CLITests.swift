import CalibTestSupport
import Foundation
import Testing

/// Runs the built `calib` executable and captures what it prints.
struct CalibRun {
    let status: Int32
    let stdout: String
    let stderr: String
    let terminatedBySignal: Bool

    static var executable: URL {
        // The test bundle and the executable share the build folder.
        let own = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        return own.deletingLastPathComponent().appendingPathComponent("calib")
    }

    init(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:], directory: String? = nil) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory ?? TestPaths.packageRoot)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // The tests decide whether calib thinks it runs under GitHub Actions.
        env["GITHUB_ACTIONS"] = nil
        env["GITHUB_STEP_SUMMARY"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        terminatedBySignal = process.terminationReason == .uncaughtSignal
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }
}

func temporaryFolder() throws -> String {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("calib-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url.path
}

@Suite("calib audit, end to end")
struct CLITests {
    static let samples = ["fraud_transactions.csv", "spam_messages.tsv", "news_topics_logits.jsonl", "fraud_downsampled_weighted.csv"]

    @Test("the executable was built next to the tests")
    func executableExists() {
        #expect(FileManager.default.isExecutableFile(atPath: CalibRun.executable.path), "\(CalibRun.executable.path)")
    }

    @Test("every sample audits with exit 0 and a terminal summary that fits 80 columns", arguments: samples)
    func terminal(sample: String) throws {
        let run = try CalibRun(["audit", "SampleData/\(sample)"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("calib audit · SampleData/\(sample)"))
        #expect(run.stdout.contains("verdict:"))
        for line in run.stdout.split(separator: "\n") {
            #expect(line.count <= 80, "too wide (\(line.count)): \(line)")
        }
        #expect(!run.stdout.contains("\u{1B}["), "no colour when NO_COLOR is set")
    }

    @Test("the JSON report has SPEC section 5's keys in order and is byte-identical between runs", arguments: samples)
    func json(sample: String) throws {
        let a = try CalibRun(["audit", "SampleData/\(sample)", "--format", "json"])
        let b = try CalibRun(["audit", "SampleData/\(sample)", "--format", "json"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == 1)
        let topKeys = a.stdout.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.dropFirst(3).prefix { $0 != "\"" } }.map(String.init)
        #expect(topKeys == ["schemaVersion", "tool", "input", "settings", "metrics", "ranking", "intervals", "perClass", "confusionMatrix", "reliability", "positiveReliability", "imbalance", "worstRows", "gates", "segments", "findings"])  // SPEC's keys in order (section 8's ranking and section 10's intervals after metrics), then calib's additions
        let ranking = try #require(object["ranking"] as? [String: Any])
        #expect(Array(ranking.keys).sorted() == ["averagePrecision", "cost", "exact", "maxAUCError", "positiveRate", "recallAtFPR", "recallAtPrecision", "recallAtTop", "rocAUC", "sweep", "weightedROCAUC"])
        #expect(ranking["exact"] as? Bool == true, "the sample fits the score store")
        let metrics = try #require(object["metrics"] as? [String: Any])
        for key in ["crossEntropy", "crossEntropyBits", "perplexity", "priorCrossEntropy", "logLossSkill", "accuracy", "balancedAccuracy", "brier", "mcc", "macro", "weighted", "micro", "meanConfidence", "topLabelECE", "positiveClassECE", "classwiseECE", "ece", "mce", "overconfidence", "underconfidence", "overconfidenceError", "calibrationInTheLarge", "confidentErrorRate"] {
            #expect(metrics.keys.contains(key), "metrics.\(key)")
        }
        let reliability = try #require((object["reliability"] as? [String: Any])?["table"] as? [[String: Any]])
        #expect(reliability.count == 15)
    }

    /// The samples in the order Reports/make_reports.sh passes them.
    static var sampleArguments: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.sampleData)) ?? []
        return names.filter { $0.hasSuffix(".csv") || $0.hasSuffix(".tsv") || $0.hasSuffix(".jsonl") }.sorted().map { "SampleData/" + $0 }
    }

    @Test("the reports in Reports/ are those the current code makes from SampleData/ (run Reports/make_reports.sh)")
    func reportsAreCurrent() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit"] + Self.sampleArguments + ["--report-dir", folder])
        #expect(run.status == 0, "\(run.stderr)")
        var expected: [String] = []
        for sample in Self.sampleArguments {
            let name = ((sample as NSString).lastPathComponent as NSString).deletingPathExtension
            expected += ["\(name).html", "\(name).md", "\(name).json"]
            let text = try CalibRun(["audit", sample])
            let storedText = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/\(name).txt", encoding: .utf8)
            #expect(text.stdout == storedText, "Reports/\(name).txt is out of date: run bash Reports/make_reports.sh")
        }
        expected += ["index.html", "index.md", "junit.xml"]
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == expected.sorted())
        for file in expected {
            let fresh = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
            let stored = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/" + file, encoding: .utf8)
            #expect(fresh == stored, "Reports/\(file) is out of date: run bash Reports/make_reports.sh")
        }
    }

    @Test("--report-dir writes one report set per input, keeps same-named inputs apart, and indexes them")
    func reportDirectory() throws {
        let folder = try temporaryFolder()
        let other = try temporaryFolder()
        try FileManager.default.copyItem(atPath: TestPaths.sampleData + "/spam_messages.tsv", toPath: other + "/spam_messages.tsv")
        let out = folder + "/nested/reports"
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", other + "/spam_messages.tsv", "--report-dir", out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == [
            "index.html", "index.md", "junit.xml", "spam_messages-2.html", "spam_messages-2.json", "spam_messages-2.md",
            "spam_messages.html", "spam_messages.json", "spam_messages.md",
        ])
        let index = try String(contentsOfFile: out + "/index.html", encoding: .utf8)
        #expect(index.contains("href=\"./spam_messages.html\"") && index.contains("href=\"./spam_messages-2.html\""))
    }

    @Test("-o report.md and -o report.html write Markdown and HTML; --format markdown prints it")
    func documentOutputs() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/news_topics_logits.jsonl", "-o", folder + "/r.md", "-o", folder + "/r.html", "--format", "markdown"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("# Calibration audit: news\\_topics\\_logits.jsonl"))
        #expect(try String(contentsOfFile: folder + "/r.md", encoding: .utf8) == run.stdout)
        #expect(try String(contentsOfFile: folder + "/r.html", encoding: .utf8).hasPrefix("<!DOCTYPE html>"))
    }

    @Test("-o writes the same JSON it would print, atomically, and leaves no temporary file")
    func outputFile() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", "--format", "json", "-o", folder + "/r.json", "-o", folder + "/r.txt"])
        #expect(run.status == 0)
        #expect(try String(contentsOfFile: folder + "/r.json", encoding: .utf8) == run.stdout)
        #expect(try String(contentsOfFile: folder + "/r.txt", encoding: .utf8).contains("calib audit"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["r.json", "r.txt"])
    }

    @Test("an output that cannot be written is exit 74 naming the path; the other outputs are still written")
    func unwritableOutput() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", "-o", "/nonexistent-dir/r.json", "-o", folder + "/ok.json"])
        #expect(run.status == 74)
        #expect(run.stderr.contains("calib: error: cannot write '/nonexistent-dir/r.json'"))
        #expect(FileManager.default.fileExists(atPath: folder + "/ok.json"))
    }

    @Test("standard input is read with -, and gzip input is decompressed")
    func stdinAndGzip() throws {
        let csv = try String(contentsOfFile: TestPaths.sampleData + "/fraud_transactions.csv", encoding: .utf8)
        let fromStdin = try CalibRun(["audit", "-", "--format", "json"], stdin: csv)
        let fromFile = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--format", "json"])
        #expect(fromStdin.status == 0)
        let strip = { (s: String) in s.split(separator: "\n").filter { !$0.contains("\"source\"") } }
        #expect(strip(fromStdin.stdout) == strip(fromFile.stdout))

        let folder = try temporaryFolder()
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -n -c SampleData/fraud_transactions.csv > '\(folder)/f.csv.gz'"]
        gzip.currentDirectoryURL = URL(fileURLWithPath: TestPaths.packageRoot)
        try gzip.run(); gzip.waitUntilExit()
        let fromGzip = try CalibRun(["audit", folder + "/f.csv.gz", "--format", "json"])
        #expect(fromGzip.status == 0)
        #expect(strip(fromGzip.stdout) == strip(fromFile.stdout))
    }

    struct Failure: Sendable, CustomStringConvertible {
        let name: String
        let arguments: [String]
        let input: String?
        let status: Int32
        let message: String
        var description: String { name }
    }

    static let failures: [Failure] = [
        Failure(name: "missing file", arguments: ["audit", "nope.csv"], input: nil, status: 66, message: "calib: error: nope.csv: cannot open: No such file or directory"),
        Failure(name: "a directory", arguments: ["audit", "SampleData"], input: nil, status: 66, message: "calib: error: SampleData: cannot read: it is a directory"),
        Failure(name: "bad number", arguments: ["audit", "-"], input: "label,p_fraud\nfraud,0.1\nlegit,abc\n", status: 65, message: "calib: error: <stdin>:3: column 'p_fraud': \"abc\" is not a number"),
        Failure(name: "undecidable positive class", arguments: ["audit", "-"], input: "label,prob\nham,0.1\n", status: 64, message: "--positive"),
        Failure(name: "unknown flag", arguments: ["audit", "SampleData/spam_messages.tsv", "--frobnicate"], input: nil, status: 64, message: "--frobnicate"),
        Failure(name: "bins out of range", arguments: ["audit", "SampleData/spam_messages.tsv", "--bins", "0"], input: nil, status: 64, message: "calib: error: --bins \"0\": must be a whole number from 1 to 10000"),
        Failure(name: "unknown output extension", arguments: ["audit", "SampleData/spam_messages.tsv", "-o", "r.pdf"], input: nil, status: 64, message: "cannot tell the report format"),
        Failure(name: "no input", arguments: ["audit"], input: nil, status: 64, message: "file"),
        Failure(name: "bad number on a named standard input", arguments: ["audit", "-", "--stdin-name", "part-00003"], input: "label,p_fraud\nfraud,0.1\nlegit,abc\n",
                status: 65, message: "calib: error: part-00003:3: column 'p_fraud': \"abc\" is not a number"),
        Failure(name: "an empty --stdin-name", arguments: ["audit", "-", "--stdin-name", ""], input: "label,prob\n1,0.5\n", status: 64, message: "--stdin-name"),
        Failure(name: "a --stdin-name with a line break", arguments: ["audit", "-", "--stdin-name", "a\nb"], input: "label,prob\n1,0.5\n", status: 64,
                message: "no control character"),
    ]

    @Test("errors print one clear line and exit with the documented code, never a signal", arguments: failures)
    func errors(f: Failure) throws {
        let run = try CalibRun(f.arguments, stdin: f.input)
        #expect(!run.terminatedBySignal)
        #expect(run.status == f.status, "\(run.stderr)")
        #expect(run.stderr.contains(f.message), "\(run.stderr)")
    }

    @Test("--on-invalid skip reports the skipped rows with their lines in JSON and on the terminal")
    func skipReported() throws {
        let input = "label,prob\n1,0.9\n0,oops\n1,0.8\n0,0.1\n"
        let json = try CalibRun(["audit", "-", "--on-invalid", "skip", "--format", "json"], stdin: input)
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let inputSection = try #require(object["input"] as? [String: Any])
        #expect(inputSection["skippedRows"] as? Int == 1)
        #expect(inputSection["rows"] as? Int == 3)
        let text = try CalibRun(["audit", "-", "--on-invalid", "skip"], stdin: input)
        #expect(text.stdout.contains("<stdin>:3: column 'prob': \"oops\" is not a number"))
    }

    @Test("--stdin-name names standard input in the JSON source, the worst rows and the skipped rows; a file keeps its path")
    func standardInputName() throws {
        let input = "label,prob\n1,0.9\n0,oops\n1,0.01\n0,0.1\n"
        let run = try CalibRun(["audit", "-", "--stdin-name", "scores <may>.csv", "--on-invalid", "skip", "--format", "json"], stdin: input)
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let inputSection = try #require(object["input"] as? [String: Any])
        #expect(inputSection["source"] as? String == "scores <may>.csv")
        #expect(run.stdout.contains("scores <may>.csv:3: column 'prob'"))
        // Parts merged from standard input: their worst rows say which part they come from.
        let folder = try temporaryFolder()
        let part = try CalibRun(["audit", "-", "--stdin-name", "partition-7", "--on-invalid", "skip", "--partial-out", folder + "/p7.part"], stdin: input)
        #expect(part.status == 0, "\(part.stderr)")
        let next = try CalibRun(["audit", "-", "--stdin-name", "partition-8", "--row-offset", "4", "--partial-out", folder + "/p8.part"], stdin: "label,prob\n1,0.2\n0,0.7\n")
        #expect(next.status == 0, "\(next.stderr)")
        let merged = try CalibRun(["merge", folder + "/p7.part", folder + "/p8.part", "--format", "json"])
        let mergedObject = try #require(try JSONSerialization.jsonObject(with: Data(merged.stdout.utf8)) as? [String: Any])
        let worst = try #require(mergedObject["worstRows"] as? [[String: Any]])
        #expect(Set(worst.compactMap { $0["source"] as? String }) == ["partition-7", "partition-8"], "\(worst)")
        #expect(worst.allSatisfy { $0["source"] is String })
        let file = try CalibRun(["audit", "SampleData/spam_messages.tsv", "--stdin-name", "ignored", "--format", "json"])
        #expect(file.status == 0 && file.stdout.contains("\"source\": \"SampleData/spam_messages.tsv\""))
    }

    @Test("--version and --help work")
    func versionAndHelp() throws {
        #expect(try CalibRun(["--version"]).stdout.hasPrefix("0.1.0"))
        let help = try CalibRun(["audit", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--on-invalid"))
    }
}

@Suite("calib losses, end to end")
struct LossesCLITests {
    @Test("any set of focal γ, α, smoothing and weights, with per-class shares, in JSON")
    func customSet() throws {
        let folder = try temporaryFolder()
        try #"{"legit": 1, "fraud": 40}"#.write(toFile: folder + "/w.json", atomically: true, encoding: .utf8)
        let run = try CalibRun(["losses", "SampleData/fraud_transactions.csv", "--focal-gamma", "0,1,3", "--focal-alpha", "0.5",
                                "--smoothing", "0.05,0.2", "--weights", "effective-number", "--weights", folder + "/w.json", "--beta", "0.999", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["schemaVersion", "tool", "input", "imbalance"])
        let imbalance = try #require(object["imbalance"] as? [String: Any])
        let losses = try #require(imbalance["losses"] as? [[String: Any]])
        #expect(losses.map { $0["name"] as? String } == ["cross-entropy", "weighted-cross-entropy", "weighted-cross-entropy", "focal", "focal", "focal", "label-smoothing", "label-smoothing"])
        let given = try #require(losses[2]["parameters"] as? [String: Any])
        #expect(given["scheme"] as? String == "given")
        #expect((given["classWeights"] as? [String: Double])?["fraud"] == 40)
        let effective = try #require(losses[1]["parameters"] as? [String: Any])
        #expect(effective["beta"] as? Double == 0.999)
        let focal = try #require(losses[5]["parameters"] as? [String: Any])
        #expect(focal["gamma"] as? Double == 3 && focal["alpha"] as? Double == 0.5)
        #expect((imbalance["finding"] as? String)?.contains("under focal loss (γ = 3, α = 0.5)") == true)
        for loss in losses {
            let shares = try #require(loss["perClass"] as? [[String: Any]]).compactMap { $0["gradientShare"] as? Double }
            #expect(abs(shares.reduce(0, +) - 1) < 1e-12)
        }
    }

    @Test("a CSV class-weight table works; a class it misses is a usage error")
    func weightTables() throws {
        let folder = try temporaryFolder()
        try "class,weight\nham,1\nspam,4\n".write(toFile: folder + "/w.csv", atomically: true, encoding: .utf8)
        let ok = try CalibRun(["losses", "SampleData/spam_messages.tsv", "--weights", folder + "/w.csv"])
        #expect(ok.status == 0 && ok.stdout.contains("weighted CE (given weights)"))
        try "class,weight\nham,1\n".write(toFile: folder + "/short.csv", atomically: true, encoding: .utf8)
        let missing = try CalibRun(["losses", "SampleData/spam_messages.tsv", "--weights", folder + "/short.csv"])
        #expect(missing.status == 64 && missing.stderr.contains("gives no weight for the class 'spam'"))
        try "class,weight\nham,-1\n".write(toFile: folder + "/bad.csv", atomically: true, encoding: .utf8)
        let bad = try CalibRun(["losses", "SampleData/spam_messages.tsv", "--weights", folder + "/bad.csv"])
        #expect(bad.status == 65 && bad.stderr.contains("bad.csv:2: column 'weight': \"-1\" is not a weight"))
    }

    @Test("bad loss parameters are usage errors", arguments: [
        ["--focal-gamma", "-1"], ["--focal-alpha", "2"], ["--beta", "1"], ["--smoothing", "x"],
    ])
    func badParameters(arguments: [String]) throws {
        let run = try CalibRun(["losses", "SampleData/spam_messages.tsv"] + arguments)
        #expect(run.status == 64, "\(run.stderr)")
    }

    @Test("the audit of the fraud sample states the imbalance finding in every format")
    func findingEverywhere() throws {
        for format in ["terminal", "markdown", "html", "json"] {
            let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--format", format])
            #expect(run.stdout.replacingOccurrences(of: "\n  ", with: " ").contains("fraud is 1.2% of rows and gets 28% of the gradient under cross-entropy"), "\(format)")
        }
    }
}
