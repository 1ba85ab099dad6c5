import CalibTestSupport
import Foundation
import Testing

/// One entry of Tests/CalibInputTests/Malformed/catalogue.tsv.
struct MalformedInput: Sendable, CustomStringConvertible {
    let file: String
    let flags: [String]
    let exitCode: Int32
    let line: Int?
    let message: String
    var description: String { file }

    static let all: [MalformedInput] = {
        let path = TestPaths.malformed + "/catalogue.tsv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").dropFirst().map { row in
            let f = row.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return MalformedInput(file: f[0], flags: f[1].split(separator: " ").map(String.init), exitCode: Int32(f[2])!,
                                  line: Int(f[3]), message: f[4])
        }
    }()
}

@Suite("The catalogue of malformed inputs")
struct MalformedCatalogueTests {
    @Test("the catalogue holds at least 25 files")
    func size() {
        #expect(MalformedInput.all.count >= 25)
    }

    @Test("each malformed file gets its exit code and an error naming file, line and problem; never a signal", arguments: MalformedInput.all)
    func malformed(entry: MalformedInput) throws {
        let path = "Tests/CalibInputTests/Malformed/" + entry.file
        let run = try CalibRun(["audit", path] + entry.flags)
        #expect(!run.terminatedBySignal, "ended by a signal")
        #expect(run.status == entry.exitCode, "\(run.stderr)")
        let prefix = "calib: error: \(path)" + (entry.line.map { ":\($0):" } ?? ":")
        #expect(run.stderr.hasPrefix(prefix), "\(run.stderr)")
        #expect(run.stderr.contains(entry.message), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "no report from a file that cannot be audited")
        #expect(run.stderr.count < 2000, "messages stay short, even for huge values")
    }

    @Test("row problems suggest --on-invalid skip, and skipping them gives a report that counts them")
    func rowProblemsCanBeSkipped() throws {
        let run = try CalibRun(["audit", "Tests/CalibInputTests/Malformed/non_numeric_score.csv"])
        #expect(run.stderr.contains("calib: hint: pass --on-invalid skip"))
        let skipped = try CalibRun(["audit", "Tests/CalibInputTests/Malformed/non_numeric_score.csv", "--on-invalid", "skip", "--format", "json"])
        #expect(skipped.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(skipped.stdout.utf8)) as? [String: Any])
        let input = try #require(object["input"] as? [String: Any])
        #expect(input["skippedRows"] as? Int == 1)
        let reasons = try #require(input["skipped"] as? [[String: Any]])
        #expect(reasons.first?["reason"] as? String == "not-a-number")
        let examples = try #require(reasons.first?["examples"] as? [[String: Any]])
        #expect(examples.first?["line"] as? Int == 3)
    }

    @Test("skippedRows>0 gates a run that skipped rows")
    func skippedRowsGate() throws {
        let run = try CalibRun(["audit", "Tests/CalibInputTests/Malformed/ragged_row_long.csv", "--on-invalid", "skip", "--fail-on", "skippedRows>0"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("FAIL  skippedRows>0  (value 1.0000"))
    }

    @Test("a killed run leaves no half-written report: outputs appear whole or not at all")
    func atomicOutputs() throws {
        let folder = try temporaryFolder()
        let target = folder + "/report.html"
        try "previous report".write(toFile: target, atomically: true, encoding: .utf8)
        // A failing input writes nothing, so the previous report stays intact.
        let failed = try CalibRun(["audit", "Tests/CalibInputTests/Malformed/nan_score.csv", "-o", target])
        #expect(failed.status == 65)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "previous report")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["report.html"])
    }
}
