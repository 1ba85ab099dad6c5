import CalibTestSupport
import Foundation
import Testing

/// The README shows what calib really does: its output block is the sample
/// report as `Reports/make_reports.sh` writes it (which another test keeps
/// current), and every sample file it names exists.
@Suite("README")
struct ReadmeTests {
    static let readme = (try? String(contentsOfFile: TestPaths.packageRoot + "/README.md", encoding: .utf8)) ?? ""

    @Test("the output block is the fraud sample's terminal report, line for line")
    func outputBlock() throws {
        let heading = try #require(Self.readme.range(of: "## Output\n"))
        let open = try #require(Self.readme.range(of: "```\n", range: heading.upperBound..<Self.readme.endIndex))
        let close = try #require(Self.readme.range(of: "```\n", range: open.upperBound..<Self.readme.endIndex))
        let shown = String(Self.readme[open.upperBound..<close.lowerBound])
        let report = try String(contentsOfFile: TestPaths.packageRoot + "/Reports/fraud_transactions.txt", encoding: .utf8)
        #expect(shown == report)
    }

    @Test("every SampleData file the README names exists")
    func sampleFiles() throws {
        let pattern = try NSRegularExpression(pattern: "SampleData/[A-Za-z0-9_.]+\\.(csv|tsv|jsonl|json|py)")
        let text = Self.readme as NSString
        let names = Set(pattern.matches(in: Self.readme, range: NSRange(location: 0, length: text.length)).map { text.substring(with: $0.range) })
        #expect(names.count >= 4)
        for name in names.sorted() {
            #expect(FileManager.default.fileExists(atPath: TestPaths.packageRoot + "/" + name), "README names \(name)")
        }
    }

    @Test("the sample table lists exactly the files in SampleData/ (but its script)")
    func sampleTable() throws {
        let section = try #require(Self.readme.components(separatedBy: "## Sample data").dropFirst().first?.components(separatedBy: "\n## ").first)
        let listed = section.split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { $0.split(separator: "`").dropFirst().first.map(String.init) }
        let present = try FileManager.default.contentsOfDirectory(atPath: TestPaths.sampleData).filter { !$0.hasSuffix(".py") && !$0.hasPrefix(".") }
        #expect(Set(listed) == Set(present))
        #expect(listed.count == present.count)
    }
}
