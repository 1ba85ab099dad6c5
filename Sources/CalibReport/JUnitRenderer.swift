import CalibInput

/// JUnit XML with one test case per gate and one test suite per input, for
/// GitLab, Jenkins and the other CI systems that read it (audits' and
/// comparisons' reports alike: ``GatedReport``). A failed error gate
/// is a `<failure>`; a failed warning gate passes with its message in `<system-out>`.
public enum JUnitRenderer {
    public static func render(_ reports: [any GatedReport]) -> String {
        let tests = reports.map(\.gates.count).reduce(0, +)
        let failures = reports.map { $0.gates.filter(\.fails).count }.reduce(0, +)
        var out = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\"calib gates\" tests=\"\(tests)\" failures=\"\(failures)\" errors=\"0\">"]
        for report in reports {
            let suiteFailures = report.gates.filter(\.fails).count
            out.append("  <testsuite name=\"\(xml(report.source))\" tests=\"\(report.gates.count)\" failures=\"\(suiteFailures)\" errors=\"0\" skipped=\"0\">")
            for gate in report.gates {
                let open = "    <testcase classname=\"calib.\(xml(report.shortName))\" name=\"\(xml(gate.expression))\""
                let message = gate.failureMessage
                if gate.fails {
                    out.append(open + ">")
                    out.append("      <failure type=\"gate\" message=\"\(xml(message))\">\(xml(message))</failure>")
                    out.append("    </testcase>")
                } else if !gate.passed {
                    out.append(open + ">")
                    out.append("      <system-out>warning: \(xml(message))</system-out>")
                    out.append("    </testcase>")
                } else {
                    out.append(open + "/>")
                }
            }
            out.append("  </testsuite>")
        }
        out.append("</testsuites>")
        return out.joined(separator: "\n") + "\n"
    }

    /// Text for XML content and attributes (``TextEscaping/xml(_:)``: no character XML forbids).
    static func xml(_ s: String) -> String { TextEscaping.xml(s) }
}
