import CalibTestSupport
import Foundation
import Testing

/// Soft targets end to end (SPEC section 13): `t_<class>` columns or
/// `--target`, validated like probabilities (each problem a `file:line:
/// column` error, exit 65, or skipped and counted), the same numbers from
/// every input format, the `softTargets` JSON object and gates on its keys,
/// and the argmax of the targets as the hard label when there is no label column.
@Suite("calib audit with soft targets, end to end")
struct SoftTargetCLITests {
    static func file(_ name: String, _ content: String) throws -> String {
        let path = try temporaryFolder() + "/" + name
        try Data(content.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static let header = "label,p_a,p_b,p_c,t_a,t_b,t_c"
    static let rows = ["a,0.7,0.2,0.1,0.6,0.3,0.1", "b,0.1,0.8,0.1,0.2,0.8,0", "c,0.3,0.3,0.4,0,0.5,0.5"]

    static func json(_ stdout: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any] ?? [:]
    }

    static func softTargets(_ stdout: String) -> [String: Any]? { json(stdout)["softTargets"] as? [String: Any] }

    /// A bad row (line 3) and the error it must give.
    struct BadRow: Sendable, CustomStringConvertible {
        let name: String
        let row: String
        let message: String
        let reason: String
        var description: String { name }
    }

    static let badRows: [BadRow] = [
        BadRow(name: "targets not summing to 1", row: "b,0.1,0.8,0.1,0.2,0.7,0",
               message: ":3: \"t_a,t_b,t_c\" soft targets sum to 0.899", reason: "targets-do-not-sum-to-one"),
        BadRow(name: "a negative target", row: "b,0.1,0.8,0.1,-0.2,1.2,0",
               message: ":3: column 't_a': \"-0.2\" is not a target probability in [0, 1]", reason: "target-out-of-range"),
        BadRow(name: "a target above 1", row: "b,0.1,0.8,0.1,0,1.5,-0.5",
               message: ":3: column 't_b': \"1.5\" is not a target probability in [0, 1]", reason: "target-out-of-range"),
        BadRow(name: "a target that is not a number", row: "b,0.1,0.8,0.1,x,1,0",
               message: ":3: column 't_a': \"x\" is not a number", reason: "not-a-number"),
        BadRow(name: "a missing target", row: "b,0.1,0.8,0.1,0.2,,0.8",
               message: ":3: column 't_b': \"\" is missing", reason: "missing-value"),
    ]

    @Test("a bad target is a file:line: column error (exit 65), or skipped and counted with --on-invalid skip", arguments: badRows)
    func badTarget(_ bad: BadRow) throws {
        let path = try Self.file("bad.csv", ([Self.header, Self.rows[0], bad.row, Self.rows[2]]).joined(separator: "\n") + "\n")
        let strict = try CalibRun(["audit", path])
        #expect(strict.status == 65)
        #expect(strict.stderr.hasPrefix("calib: error: \(path)\(bad.message)"), "\(strict.stderr)")
        let skip = try CalibRun(["audit", path, "--on-invalid", "skip", "--format", "json", "--bootstrap", "0"])
        #expect(skip.status == 0, "\(skip.stderr)")
        let input = Self.json(skip.stdout)["input"] as? [String: Any] ?? [:]
        #expect(input["rows"] as? Int == 2)
        #expect((input["skipped"] as? [[String: Any]])?.first?["reason"] as? String == bad.reason)
    }

    /// A header whose target columns do not fit the classes, and the usage error naming the column.
    struct BadHeader: Sendable, CustomStringConvertible {
        let name: String
        let header: String
        let row: String
        let message: String
        var description: String { name }
    }

    static let badHeaders: [BadHeader] = [
        BadHeader(name: "a target for an unknown class", header: "label,p_a,p_b,p_c,t_a,t_b,t_x", row: "a,0.7,0.2,0.1,0.6,0.3,0.1",
                  message: ":1: column 't_x': names the class 'x', which is not one of the classes ('a', 'b', 'c')"),
        BadHeader(name: "a class without a target", header: "label,p_a,p_b,p_c,t_a,t_b", row: "a,0.7,0.2,0.1,0.6,0.4",
                  message: ":1: no target column for the class 'c' (expected 't_c')"),
        BadHeader(name: "--target with the wrong number of columns", header: "label,p_a,p_b,p_c,ta,tb", row: "a,0.7,0.2,0.1,0.6,0.4",
                  message: ":1: --target lists 2 columns for 3 classes"),
    ]

    @Test("target columns that do not fit the classes are a usage error naming the column (exit 64)", arguments: badHeaders)
    func badHeader(_ bad: BadHeader) throws {
        let path = try Self.file("header.csv", bad.header + "\n" + bad.row + "\n")
        let flags = bad.header.contains(",ta,") ? ["--target", "ta,tb"] : []
        let result = try CalibRun(["audit", path] + flags)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("calib: error: \(path)\(bad.message)"), "\(result.stderr)")
    }

    /// The same rows in another input format.
    struct Format: Sendable, CustomStringConvertible {
        let name: String
        let file: String
        let flags: [String]
        let content: String
        var description: String { name }
    }

    static let formats: [Format] = {
        let csv = ([header] + rows).joined(separator: "\n") + "\n"
        let tsv = csv.replacingOccurrences(of: ",", with: "\t")
        let columns = header.split(separator: ",").map(String.init)
        let jsonl = rows.map { row in
            let values = row.split(separator: ",").map(String.init)
            return "{" + zip(columns, values).map { c, v in c == "label" ? "\"\(c)\": \"\(v)\"" : "\"\(c)\": \(v)" }.joined(separator: ", ") + "}"
        }.joined(separator: "\n") + "\n"
        return [
            Format(name: "CSV", file: "soft.csv", flags: [], content: csv),
            Format(name: "TSV", file: "soft.tsv", flags: [], content: tsv),
            Format(name: "JSON Lines", file: "soft.jsonl", flags: [], content: jsonl),
            Format(name: "--target naming columns without the prefix", file: "named.csv", flags: ["--target", "ta,tb,tc"],
                   content: csv.replacingOccurrences(of: "t_a,t_b,t_c", with: "ta,tb,tc")),
        ]
    }()

    @Test("every input format gives the same softTargets object", arguments: formats)
    func sameInEveryFormat(_ format: Format) throws {
        let reference = try CalibRun(["audit", try Self.file("ref.csv", Self.formats[0].content), "--format", "json", "--bootstrap", "0"])
        let path = try Self.file(format.file, format.content)
        let result = try CalibRun(["audit", path, "--format", "json", "--bootstrap", "0"] + format.flags)
        #expect(result.status == 0, "\(result.stderr)")
        let soft = try #require(Self.softTargets(result.stdout))
        let expected = try #require(Self.softTargets(reference.stdout))
        #expect(NSDictionary(dictionary: soft).isEqual(to: expected))
        // The hand-computed KL of the three rows (nats).
        let kl = (0.6 * log(0.6 / 0.7) + 0.3 * log(0.3 / 0.2) + 0.1 * log(0.1 / 0.1)
                  + 0.2 * log(0.2 / 0.1) + 0.8 * log(0.8 / 0.8)
                  + 0.5 * log(0.5 / 0.3) + 0.5 * log(0.5 / 0.4)) / 3
        #expect(relativeDifference(soft["kl"] as? Double ?? .nan, kl) <= 1e-12)
    }

    @Test("gzip and standard input read soft targets too")
    func gzipAndStdin() throws {
        let csv = Self.formats[0].content
        let plain = try Self.file("s.csv", csv)
        let reference = try #require(Self.softTargets(try CalibRun(["audit", plain, "--format", "json", "--bootstrap", "0"]).stdout))
        let gz = try temporaryFolder() + "/s.csv.gz"
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/sh")
        gzip.arguments = ["-c", "gzip -c '\(plain)' > '\(gz)'"]
        try gzip.run()
        gzip.waitUntilExit()
        let zipped = try CalibRun(["audit", gz, "--format", "json", "--bootstrap", "0"])
        #expect(NSDictionary(dictionary: try #require(Self.softTargets(zipped.stdout))).isEqual(to: reference))
        let piped = try CalibRun(["audit", "-", "--format", "json", "--bootstrap", "0"], stdin: csv)
        #expect(NSDictionary(dictionary: try #require(Self.softTargets(piped.stdout))).isEqual(to: reference), "\(piped.stderr)")
    }

    @Test("without a label column the hard label is the argmax of the targets, and every report says so")
    func argmaxLabels() throws {
        // Row 3's targets tie between b and c: the label is b (the lower index).
        let path = try Self.file("nolabel.csv", "p_a,p_b,p_c,t_a,t_b,t_c\n0.7,0.2,0.1,0.6,0.3,0.1\n0.1,0.8,0.1,0.2,0.8,0\n0.3,0.3,0.4,0,0.5,0.5\n")
        let json = try CalibRun(["audit", path, "--format", "json", "--bootstrap", "0"])
        #expect(json.status == 0, "\(json.stderr)")
        let perClass = Self.json(json.stdout)["perClass"] as? [[String: Any]] ?? []
        #expect(perClass.map { $0["support"] as? Double } == [1, 2, 0])
        let input = Self.json(json.stdout)["input"] as? [String: Any] ?? [:]
        #expect(input["labelsFromTargets"] as? Bool == true)
        for format in ["terminal", "markdown", "html"] {
            let report = try CalibRun(["audit", path, "--format", format, "--bootstrap", "0"])
            #expect(report.stdout.contains("hard metrics use argmax of the targets"), "\(format)")
        }
    }

    @Test("softTargets keys gate like metrics, and are valid gate names only with soft targets")
    func gates() throws {
        let path = try Self.file("g.csv", Self.formats[0].content)
        #expect(try CalibRun(["audit", path, "--bootstrap", "0", "--fail-on", "softTargets.kl>0.05"]).status == 1)
        #expect(try CalibRun(["audit", path, "--bootstrap", "0", "--fail-on", "softTargets.kl>0.5"]).status == 0)
        let unknown = try CalibRun(["audit", path, "--bootstrap", "0", "--fail-on", "softTargets.kld>0.5"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("softTargets.crossEntropy, softTargets.entropy, softTargets.kl"), "\(unknown.stderr)")
        let hard = try Self.file("h.csv", "label,p_a,p_b,p_c\na,0.7,0.2,0.1\nb,0.1,0.8,0.1\n")
        let missing = try CalibRun(["audit", hard, "--bootstrap", "0", "--fail-on", "softTargets.kl>0.5"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("needs soft targets"), "\(missing.stderr)")
    }

    @Test("the reports show the term table with its total row and the sentence")
    func reports() throws {
        let path = try Self.file("r.csv", Self.formats[0].content)
        let terminal = try CalibRun(["audit", path, "--bootstrap", "0"])
        #expect(terminal.stdout.contains("Soft targets"))
        #expect(terminal.stdout.contains("  total "))
        #expect(terminal.stdout.contains("of the cross-entropy (0.8754 nats) is the targets' own uncertainty"), "\(terminal.stdout)")
        let html = try CalibRun(["audit", path, "--bootstrap", "0", "--format", "html"])
        #expect(html.stdout.contains("id=\"soft-target-bars\""))
        #expect(html.stdout.contains("entropy (irreducible)"))
    }

    @Test("Reports/digits_distillation.* are what the current code makes from the distillation sample (run Reports/make_reports.sh)")
    func distillationReportsAreCurrent() throws {
        let sample = "SampleData/distillation/digits_distillation.csv"
        let folder = try temporaryFolder()
        let formats = ["html", "md", "json"]
        let run = try CalibRun(["audit", sample] + formats.flatMap { ["-o", folder + "/digits_distillation." + $0] })
        #expect(run.status == 0, "\(run.stderr)")
        let stored = { (file: String) in try String(contentsOfFile: TestPaths.packageRoot + "/Reports/" + file, encoding: .utf8) }
        #expect(run.stdout == (try stored("digits_distillation.txt")), "Reports/digits_distillation.txt is out of date: run bash Reports/make_reports.sh")
        for format in formats {
            let fresh = try String(contentsOfFile: folder + "/digits_distillation." + format, encoding: .utf8)
            #expect(fresh == (try stored("digits_distillation." + format)), "Reports/digits_distillation.\(format) is out of date: run bash Reports/make_reports.sh")
        }
        #expect(run.stdout.contains("on class '7'"))
    }

    static let otherCommands: [[String]] = {
        let sample = "SampleData/distillation/digits_distillation.csv"
        let prior = (0..<10).map { "\($0)=0.1" }.joined(separator: ",")
        return [
            ["compare", sample, sample, "--bootstrap", "0"],
            ["audit", sample, "--recalibrate", "temperature", "--bootstrap", "0"],
            ["audit", sample, "--deploy-prior", prior, "--bootstrap", "0"],
            ["audit", sample, "--group", "id", "--bootstrap", "0"],
            ["losses", sample],
            ["prior", sample],
        ]
    }()

    @Test("every command reads a file with soft targets (their rows keep their targets through every copy)", arguments: otherCommands)
    func otherCommandsRead(_ arguments: [String]) throws {
        let run = try CalibRun(arguments)
        #expect(!run.terminatedBySignal)
        #expect(run.status == 0, "\(run.stderr)")
    }
}
