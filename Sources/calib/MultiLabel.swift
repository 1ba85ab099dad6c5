import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib audit --multilabel`: every input audited as a multi-label file
/// (SPEC section 13), delivered like any audit (stdout, `-o`, `--report-dir`,
/// JUnit, GitHub annotations), with `KEY[LABEL]` and `multilabel.KEY` gates;
/// with `--partial-out`, each input's ``MultiLabelPart`` for `calib merge`.
extension Audit {
    func runMultiLabel(gates: [GateExpression], paths: [String], options: ReadOptions, settings: AuditSettings,
                       ranking: RankingSettings, bootstrap: BootstrapSettings?, directory: ReportDirectory?) throws {
        let delivery = ReportDelivery<MultiLabelReport>(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                                        directory: directory) { report, format, colour in report.rendered(format, colour: colour) }
        let progress = ProgressLine()
        for (index, path) in paths.enumerated() {
            let location = try input.location(path)
            let outcome: MultiLabelAudit.Outcome
            do {
                let offset = try partial.offset()
                let sums = try MultiLabelAudit.accumulate(location, options: options, settings: settings, ranking: ranking, bootstrap: bootstrap,
                                                          rowOffset: offset) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
                if let path = partial.partialOut {
                    try PartialOutput.write(MultiLabelPart(tool: ToolInfo.currentVersion, rowOffset: offset, audit: sums).encodedPart(), to: path)
                    guard PartialOutput.wantsReports(output) else { continue }
                }
                outcome = sums.finish(threads: options.threads)
            } catch let error as InputError {
                progress.clear()
                delivery.failed(error)
                continue
            }
            delivery.deliver(try MultiLabelReport.gated(outcome, gates: gates), input: index)
        }
        let status = delivery.finish(batchSummary: paths.count, gitHub: true)
        if status != .success { throw status.exitCode }
    }
}

extension MultiLabelReport: DeliverableReport {
    /// The report of `outcome` with its gates evaluated; an unknown key exits 64.
    static func gated(_ outcome: MultiLabelAudit.Outcome, gates: [GateExpression]) throws -> MultiLabelReport {
        do {
            let outcomes = try MultiLabelGates.evaluate(gates, report: MultiLabelReport(input: outcome.input, result: outcome.result))
            return MultiLabelReport(input: outcome.input, result: outcome.result, gates: outcomes)
        } catch {
            printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

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
