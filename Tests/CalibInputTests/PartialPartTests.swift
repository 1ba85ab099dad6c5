import CalibCore
import CalibInput
import CalibTestSupport
import Testing

/// SPEC section 14 on the parts `calib merge` reads (`PartialPart`).
@Suite("Partial parts: what may be merged")
struct PartialPartTests {
    static func part(tool: String) throws -> PartialPart {
        let sums = try InputAudit.accumulate(.file(TestPaths.packageRoot + "/SampleData/spam_messages.tsv"), bootstrap: BootstrapSettings(replicates: 2))
        return PartialPart(tool: tool, rowOffset: 0, audit: sums)
    }

    @Test("a part whose segment carries a score store or replicates (only the total does) is refused as malformed, exit 65")
    func segmentWithStore() throws {
        let sums = try InputAudit.accumulate(.file(TestPaths.packageRoot + "/SampleData/spam_messages.tsv"), ranking: RankingSettings(),
                                             bootstrap: BootstrapSettings(replicates: 2))
        let forged = PartialPart(tool: "0.1.0", rowOffset: 0, audit: InputAudit.Accumulated(total: sums.total, segments: [("a", sums.total)], input: sums.input))
        let error = #expect(throws: InputError.self) { _ = try PartialPart(decoding: forged.encoded(), file: "forged.part") }
        #expect(error?.exitCode == 65)
        #expect(error?.reason.contains("segment \"a\" does not fit the audit") == true, "\(error?.reason ?? "")")
    }

    @Test("parts written by the same calib merge; a part of another calib version is refused, naming both versions")
    func toolVersion() throws {
        let a = try Self.part(tool: "0.1.0")
        #expect(a.mismatch(with: try Self.part(tool: "0.1.0"), name: "a.part", otherName: "b.part") == nil)
        let refusal = a.mismatch(with: try Self.part(tool: "0.2.0"), name: "a.part", otherName: "b.part")
        #expect(refusal?.exitCode == 64)
        #expect(refusal?.description.contains("has the calib version 0.2.0, \"a.part\" has 0.1.0") == true, "\(String(describing: refusal))")
    }
}
