import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib audit --multilabel`: every input audited as a multi-label file
/// (SPEC section 13), delivered like any audit (stdout, `-o`, `--report-dir`,
/// JUnit, GitHub annotations), with `KEY[LABEL]` and `multilabel.KEY` gates.
extension Audit {
    func runMultiLabel(gates: [GateExpression], paths: [String], options: ReadOptions, settings: AuditSettings,
                       ranking: RankingSettings, bootstrap: BootstrapSettings?, directory: ReportDirectory?) throws {
        let delivery = ReportDelivery<MultiLabelReport>(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                                        directory: directory) { report, format, colour in report.rendered(format, colour: colour) }
        let progress = ProgressLine()
        for (index, path) in paths.enumerated() {
            let location: InputLocation = path == "-" ? .standardInput : .file(path)
            let outcome: MultiLabelAudit.Outcome
            do {
                outcome = try MultiLabelAudit.audit(location, options: options, settings: settings, ranking: ranking, bootstrap: bootstrap) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
            } catch let error as InputError {
                progress.clear()
                delivery.failed(error)
                continue
            }
            let plain = MultiLabelReport(input: outcome.input, result: outcome.result)
            let outcomes: [GateOutcome]
            do {
                outcomes = try MultiLabelGates.evaluate(gates, report: plain)
            } catch {
                printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            delivery.deliver(MultiLabelReport(input: outcome.input, result: outcome.result, gates: outcomes), input: index)
        }
        let status = delivery.finish(batchSummary: paths.count, gitHub: true)
        if status != .success { throw status.exitCode }
    }
}

extension MultiLabelReport: DeliverableReport {
    func rendered(_ format: ReportFormat, colour: Bool) -> String {
        switch format {
        case .terminal: MultiLabelRenderer.terminal(self, colour: colour)
        case .markdown: MultiLabelRenderer.markdown(self)
        case .html: MultiLabelRenderer.html(self)
        case .json: MultiLabelRenderer.json(self)
        case .junit: JUnitRenderer.render([self])
        }
    }

    static func batchSummary(_ reports: [MultiLabelReport], failedInputs: Int) -> String? { nil }

    static func stepSummary(_ reports: [MultiLabelReport]) -> String { reports.map(MultiLabelRenderer.markdown).joined(separator: "\n") }

    func page(_ format: ReportFormat) -> String { rendered(format, colour: false) }

    static func index(_ entries: [(report: MultiLabelReport, link: String)], format: ReportFormat) -> String {
        format == .html ? MultiLabelRenderer.htmlIndex(entries) : MultiLabelRenderer.markdownIndex(entries)
    }
}
