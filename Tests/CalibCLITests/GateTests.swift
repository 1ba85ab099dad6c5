import CalibTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Writes a segmented binary file in which segment FR is badly overconfident,
/// DE and US are calibrated, and "tiny" has too few rows to gate.
func segmentedFile() throws -> String {
    var rng = SeededGenerator(seed: 2026)
    var text = "id,country,label,prob\n"
    for i in 0..<3000 {
        let country = i % 50 == 0 ? "tiny" : ["DE", "FR", "US"][i % 3]
        var z = -1 + 1.5 * rng.normal()
        let y = Double.random(in: 0..<1, using: &rng) < 1 / (1 + StableMathTest.exp(-z)) ? 1 : 0
        if country == "FR" { z = 3 * z + 1.5 }
        text += "\(i),\(country),\(y),\(1 / (1 + StableMathTest.exp(-z)))\n"
    }
    let path = try temporaryFolder() + "/segments.csv"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

enum StableMathTest {
    static func exp(_ x: Double) -> Double { Foundation.exp(x) }
}

/// Splits a README command line into words, honouring single and double quotes, dropping a trailing comment.
func shellWords(_ line: String) -> [String] {
    var words: [String] = []
    var current = ""
    var quote: Character?
    var inWord = false
    for ch in line {
        if let q = quote {
            if ch == q { quote = nil } else { current.append(ch) }
        } else if ch == "'" || ch == "\"" {
            quote = ch; inWord = true
        } else if ch == "#" && !inWord {
            break
        } else if ch == " " {
            if inWord { words.append(current); current = ""; inWord = false }
        } else {
            current.append(ch); inWord = true
        }
    }
    if inWord { words.append(current) }
    return words
}

@Suite("Gates, CI integration, segments and batch")
struct GateTests {
    @Test("gates that hold exit 0, gates that fail exit 1, warnings do not change the exit")
    func passAndFail() throws {
        let pass = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "ece>0.05", "--warn-on", "recall[fraud]<0.5"])
        #expect(pass.status == 0, "\(pass.stderr)")
        #expect(pass.stdout.contains("pass  ece>0.05") && pass.stdout.contains("WARN  recall[fraud]<0.5"))
        let fail = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "recall[fraud]<0.5", "--format", "json"])
        #expect(fail.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(fail.stdout.utf8)) as? [String: Any])
        let gates = try #require(object["gates"] as? [[String: Any]])
        #expect(gates.count == 1 && gates[0]["passed"] as? Bool == false && gates[0]["metric"] as? String == "recall[fraud]")
        #expect(abs((gates[0]["value"] as? Double ?? 0) - 0.18220338983050846) < 1e-12)
    }

    @Test("malformed gates and unknown names are usage errors that say what is valid", arguments: [
        ("ece", "is not a gate"), ("ece>>0.1", "is not a number"), ("eec>0.1", "unknown metric 'eec'; use one of crossEntropy"),
        ("recall[fruad]<0.8", "no class 'fruad'; classes: legit, fraud"), ("max-segment-ece>0.1", "needs segments: add --group"),
        ("accuracy[fraud]<0.8", "'accuracy' is not a per-class value"),
    ])
    func malformed(gate: String, message: String) throws {
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", gate])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("under GitHub Actions each failed gate is an annotation and the Markdown report goes to the step summary")
    func githubActions() throws {
        let folder = try temporaryFolder()
        let summary = folder + "/summary.md"
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "recall[fraud]<0.5", "--warn-on", "mce>0.3", "--fail-on", "ece>0.05"],
                               environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { $0.hasPrefix("::error ") }.count == 1)
        #expect(lines.filter { $0.hasPrefix("::warning ") }.count == 1)
        #expect(lines.contains("::error title=calib gate%3A recall[fraud]<0.5::SampleData/fraud_transactions.csv: recall[fraud] = 0.182203, gate 'recall[fraud]<0.5' failed"))
        let markdown = try String(contentsOfFile: summary, encoding: .utf8)
        #expect(markdown.hasPrefix("# Calibration audit: fraud\\_transactions.csv"))
        #expect(markdown.contains("❌ **fail**"))
        // With JSON on stdout the annotations move to stderr and stdout stays JSON.
        let json = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "recall[fraud]<0.5", "--format", "json"],
                                environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": folder + "/s2.md"])
        #expect(json.stderr.contains("::error title="))
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil)
    }

    @Test("JUnit XML has one test case per gate and parses as XML")
    func junit() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--fail-on", "recall[fraud]<0.5", "--fail-on", "ece>0.05", "--warn-on", "mce>0.3", "-o", folder + "/gates.xml"])
        #expect(run.status == 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/gates.xml"))
        final class Collector: NSObject, XMLParserDelegate {
            var cases: [String] = [], failures = 0, suites: [[String: String]] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                if name == "testcase" { cases.append(attributes["name"] ?? "") }
                if name == "failure" { failures += 1 }
                if name == "testsuite" { suites.append(attributes) }
            }
        }
        let parser = XMLParser(data: data)
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "\(String(describing: parser.parserError))")
        #expect(collector.cases == ["recall[fraud]<0.5", "ece>0.05", "mce>0.3"])
        #expect(collector.failures == 1)
        #expect(collector.suites.first?["tests"] == "3" && collector.suites.first?["failures"] == "1")
    }

    @Test("segments: the badly calibrated segment is worst, flagged and gated; a small one is listed but not gated")
    func segments() throws {
        let path = try segmentedFile()
        let run = try CalibRun(["audit", path, "--group", "country", "--fail-on", "max-segment-ece>0.1", "--fail-on", "ece@DE>0.1", "--format", "json"])
        #expect(run.status == 1, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let segments = try #require((object["segments"] as? [String: Any])?["table"] as? [[String: Any]])
        #expect(segments.count == 4)
        #expect(segments.first?["segment"] as? String == "FR")
        #expect(segments.first?["overconfident"] as? Bool == true)
        let tiny = try #require(segments.first { $0["segment"] as? String == "tiny" })
        #expect(tiny["gated"] as? Bool == false && tiny["overconfident"] as? Bool == false)
        for name in ["DE", "US"] {
            #expect(segments.first { $0["segment"] as? String == name }?["overconfident"] as? Bool == false, "\(name)")
        }
        let gates = try #require(object["gates"] as? [[String: Any]])
        #expect(gates.map { $0["passed"] as? Bool } == [false, true])
        let frECE = (segments.first?["metrics"] as? [String: Any])?["ece"] as? Double
        #expect(gates[0]["value"] as? Double == frECE)
        let flags = try #require((object["findings"] as? [String: Any])?["overconfidentSegments"] as? [String])
        #expect(flags.count == 1 && flags[0].hasPrefix("segment 'FR':"))
        // The same run with a larger minimum gates no segment at all.
        let strict = try CalibRun(["audit", path, "--group", "country", "--min-segment-rows", "5000", "--fail-on", "max-segment-ece>0.1"])
        #expect(strict.status == 1 && strict.stdout.contains("max-segment-ece>0.1  (value undefined"))
    }

    @Test("a batch over several files and a glob exits 1 when one fails, with a summary table and junit.xml")
    func batch() throws {
        let folder = try temporaryFolder()
        let run = try CalibRun(["audit", "SampleData/*.csv", "SampleData/spam_messages.tsv", "--fail-on", "ece>0.05", "--report-dir", folder])
        #expect(run.status == 1)
        #expect(run.stdout.contains("Summary: 3 inputs audited"))
        let summary = run.stdout.components(separatedBy: "Summary:").last ?? ""
        #expect(summary.contains("spam_messages.tsv") && summary.contains("FAIL 1/1"))
        #expect(summary.contains("fraud_transactions.csv") && summary.contains("pass"))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(files.contains("junit.xml") && files.contains("index.html") && files.contains("spam_messages.html"))
        let index = try String(contentsOfFile: folder + "/index.md", encoding: .utf8)
        #expect(index.contains("❌ 1 failed") && index.contains("✅ pass"))
    }

    @Test("a batch goes on past an unreadable file and exits with its code")
    func batchWithMissingFile() throws {
        let run = try CalibRun(["audit", "SampleData/spam_messages.tsv", "missing.csv"])
        #expect(run.status == 66)
        #expect(run.stdout.contains("calib audit · SampleData/spam_messages.tsv"))
        #expect(run.stdout.contains("1 could not be read"))
    }

    @Test("configuration files: gates from the file, and clear errors for bad ones")
    func configFile() throws {
        let run = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", "SampleData/calib.json"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("pass  ece>0.05") && run.stdout.contains("WARN  mce>0.3"))
        let folder = try temporaryFolder()
        try #"{"failOn": ["ece>>"]}"#.write(toFile: folder + "/bad.json", atomically: true, encoding: .utf8)
        let bad = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", folder + "/bad.json"])
        #expect(bad.status == 64 && bad.stderr.contains("bad.json"))
        try #"{"failOnn": []}"#.write(toFile: folder + "/typo.json", atomically: true, encoding: .utf8)
        let typo = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", folder + "/typo.json"])
        #expect(typo.status == 64 && typo.stderr.contains("typo.json:1:2: unknown key \"failOnn\""))
        let missing = try CalibRun(["audit", "SampleData/fraud_transactions.csv", "--config", folder + "/none.json"])
        #expect(missing.status == 66)
    }

    @Test("the README's CI examples work as written")
    func readmeExamples() throws {
        let readme = try String(contentsOfFile: TestPaths.packageRoot + "/README.md", encoding: .utf8)
        var commands: [(words: [String], exit: Int32)] = []
        for raw in readme.split(separator: "\n").map(String.init) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            for prefix in ["- run: ", "- ", "$ "] where line.hasPrefix(prefix) { line.removeFirst(prefix.count) }
            guard line.hasPrefix("calib audit ") || line.hasPrefix(".build/release/calib audit ") else { continue }
            guard let marker = line.range(of: "# exits ") else { continue }
            commands.append((shellWords(line), Int32(line[marker.upperBound...].trimmingCharacters(in: .whitespaces))!))
        }
        #expect(commands.count >= 3)
        for command in commands {
            let folder = try temporaryFolder()
            try FileManager.default.createSymbolicLink(atPath: folder + "/SampleData", withDestinationPath: TestPaths.sampleData)
            let summary = folder + "/step-summary.md"
            let run = try CalibRun(Array(command.words.dropFirst()), environment: ["GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": summary], directory: folder)
            #expect(run.status == command.exit, "\(command.words.joined(separator: " ")): \(run.stderr)")
            for (i, word) in command.words.enumerated() where word == "-o" || word == "--report-dir" {
                #expect(FileManager.default.fileExists(atPath: folder + "/" + command.words[i + 1]), "\(command.words[i + 1])")
            }
            #expect(FileManager.default.fileExists(atPath: summary))
        }
    }
}
