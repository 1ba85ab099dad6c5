import CalibTestSupport
import Foundation
import Testing

/// The repair loop of the README on the downsampled sample, as
/// `Reports/make_reports.sh` records it: `calib fit --method platt`, `calib
/// apply`, and the audit of the applied file. The stored files must be what
/// the current code makes.
@Suite("The repair loop's example reports")
struct RepairLoopReportTests {
    static func stored(_ name: String) throws -> String {
        try String(contentsOfFile: TestPaths.packageRoot + "/Reports/" + name, encoding: .utf8)
    }

    @Test("Reports/fraud_downsampled_platt.*, fraud_downsampled_fixed.txt are what fit, apply and audit make (run Reports/make_reports.sh)")
    func loop() throws {
        let folder = try temporaryFolder()
        let calibrator = folder + "/fraud_downsampled_platt.json"
        let fit = try CalibRun(["fit", "SampleData/fraud_downsampled_weighted.csv", "--method", "platt", "-o", calibrator])
        #expect(fit.status == 0, "\(fit.stderr)")
        // fit names the file it wrote: the script writes into Reports/, the test into a temporary folder.
        let printed = fit.stdout.replacingOccurrences(of: calibrator, with: "Reports/fraud_downsampled_platt.json")
        #expect(printed == (try Self.stored("fraud_downsampled_platt.txt")), "Reports/fraud_downsampled_platt.txt is out of date")
        let written = try String(contentsOfFile: calibrator, encoding: .utf8)
        #expect(written == (try Self.stored("fraud_downsampled_platt.json")), "Reports/fraud_downsampled_platt.json is out of date")
        let apply = try CalibRun(["apply", calibrator, "SampleData/fraud_downsampled_weighted.csv", "-o", folder + "/fraud_downsampled_fixed.csv"])
        #expect(apply.status == 0, "\(apply.stderr)")
        let audit = try CalibRun(["audit", "fraud_downsampled_fixed.csv"], directory: folder)
        #expect(audit.stdout == (try Self.stored("fraud_downsampled_fixed.txt")), "Reports/fraud_downsampled_fixed.txt is out of date")
        #expect(audit.stdout.contains("well calibrated"), "the applied scores audit as well calibrated")
    }
}
