import CalibCore
import CalibReport

/// The table closing a batch run on the terminal: one line per input with its
/// headline metrics and gate verdict, in 80 columns.
enum BatchSummary {
    static func render(_ reports: [Report], failedInputs: Int) -> String {
        var lines = ["Summary: \(reports.count) inputs audited" + (failedInputs > 0 ? ", \(failedInputs) could not be read" : ""),
                     "  " + pad("input", 26, left: true) + pad("rows", 11) + pad("CE", 8) + pad("ECE", 8) + pad("accuracy", 10) + "  gates"]
        for report in reports {
            let r = report.result
            let failed = report.gates.filter(\.fails).count
            let warned = report.gates.filter { !$0.passed && $0.severity == .warning }.count
            let gates = report.gates.isEmpty ? "—" : failed > 0 ? "FAIL \(failed)/\(report.gates.count)" : warned > 0 ? "pass, \(warned) warn" : "pass"
            lines.append("  " + pad(report.shortName, 26, left: true) + pad(NumberText.count(r.rows), 11) + pad(NumberText.fixed(r.metrics.crossEntropy, 4), 8)
                + pad(NumberText.fixed(r.metrics.ece, 4), 8) + pad(NumberText.fixed(r.metrics.accuracy, 4), 10) + "  " + gates)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let cut = s.count > width - 1 ? String(s.prefix(width - 2)) + "…" : s
        let space = String(repeating: " ", count: Swift.max(0, width - cut.count))
        return left ? cut + space : space + cut
    }

}
