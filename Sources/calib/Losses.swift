import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib losses FILE`: how cross-entropy, weighted cross-entropy, focal loss
/// and label smoothing would spread loss and gradient over the classes.
struct Losses: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare what each loss gives each class, on these predictions.",
        discussion: """
            Evaluates cross-entropy, class-weighted cross-entropy, focal loss and label smoothing \
            on the same predictions and shows, per class, the mean loss and the share of the loss \
            and of the gradient it receives.
            """
    )

    @Argument(help: ArgumentHelp("Input file; - reads standard input.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("Focal-loss γ values, separated by commas (0 is cross-entropy).", valueName: "γ,…"))
    var focalGamma: String = "0.5,1,2,5"

    @Option(help: ArgumentHelp("Focal-loss α: for binary tasks the positive class's weight (default 0.25), for multiclass a common factor (default 1); 'none' turns α-balancing off.", valueName: "α|none"))
    var focalAlpha: String?

    @Option(help: "β of the effective-number class weights (Cui et al. 2019).")
    var beta: Double = 0.9999

    @Option(help: ArgumentHelp("Label-smoothing ε values, separated by commas.", valueName: "ε,…"))
    var smoothing: String = "0.1"

    @Option(help: ArgumentHelp("Class weights for weighted cross-entropy: inverse-frequency, effective-number, or a file (JSON object or CSV with class,weight). Repeatable.", valueName: "scheme|file"))
    var weights: [String] = ["inverse-frequency", "effective-number"]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        for gamma in try numbers(focalGamma, "--focal-gamma") where !(gamma >= 0 && gamma <= 100) {
            throw ValidationError("--focal-gamma values must be between 0 and 100, not \(gamma).")
        }
        for epsilon in try numbers(smoothing, "--smoothing") where !(epsilon >= 0 && epsilon <= 1) {
            throw ValidationError("--smoothing values must be between 0 and 1, not \(epsilon).")
        }
        _ = try alpha()
        guard beta >= 0 && beta < 1 else { throw ValidationError("--beta must be at least 0 and below 1, not \(beta).") }
        if output.reportDir != nil { throw ValidationError("--report-dir belongs to calib audit; use -o here.") }
    }

    private func numbers(_ text: String, _ flag: String) throws -> [Double] {
        let parts = text.split(separator: ",").map { String($0).trimmingSpacesAndTabs() }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { throw ValidationError("\(flag) needs at least one number.") }
        return try parts.map { part in
            guard let x = Double(part), x.isFinite else { throw ValidationError("\(flag): \"\(part)\" is not a number.") }
            return x
        }
    }

    private func alpha() throws -> Double? {
        guard let focalAlpha else { return nil }
        if focalAlpha.lowercased() == "none" { return -1 }
        guard let a = Double(focalAlpha), a >= 0 && a <= 1 else {
            throw ValidationError("--focal-alpha must be a number between 0 and 1, or none; not \"\(focalAlpha)\".")
        }
        return a
    }

    func run() throws {
        var specifications: [LossSpecification] = [.crossEntropy]
        var givenTables: [(path: String, weights: [String: Double])] = []
        do {
            for scheme in weights {
                switch scheme.lowercased() {
                case "inverse-frequency": specifications.append(.weightedCrossEntropy(.inverseFrequency))
                case "effective-number": specifications.append(.weightedCrossEntropy(.effectiveNumber(beta: beta)))
                default:
                    let table = try ClassWeightFile.read(scheme)
                    givenTables.append((scheme, table))
                    specifications.append(.weightedCrossEntropy(.given(weights: table)))
                }
            }
            let a = try alpha()
            for gamma in try numbers(focalGamma, "--focal-gamma") { specifications.append(.focal(gamma: gamma, alpha: a)) }
            for epsilon in try numbers(smoothing, "--smoothing") { specifications.append(.labelSmoothing(epsilon: epsilon)) }

            let location: InputLocation = file == "-" ? .standardInput : .file(file)
            let audited = try InputAudit.run(location, options: input.readOptions, settings: input.settings, losses: specifications)
            for (path, table) in givenTables {
                let missing = audited.result.classNames.filter { table[$0] == nil }
                if !missing.isEmpty {
                    throw InputError(.usage, file: path, reason: "gives no weight for the class\(missing.count > 1 ? "es" : "") \(missing.map { "'\($0)'" }.joined(separator: ", ")) (classes: \(audited.result.classNames.map { "'\($0)'" }.joined(separator: ", ")))")
                }
            }
            let report = Report(input: audited.input, result: audited.result)
            var failures: [OutputError] = []
            for path in output.output {
                do {
                    try writeAtomically(renderLosses(report, as: try ReportFormat.forPath(path), colour: false), to: path)
                } catch let error as OutputError { failures.append(error) }
            }
            do {
                try writeStandardOutput(renderLosses(report, as: output.format, colour: output.format == .terminal && standardOutputWantsColour))
            } catch let error as OutputError { failures.append(error) }
            if !failures.isEmpty {
                for failure in failures { printError(failure.description) }
                throw ExitCode(74)
            }
        } catch let error as InputError {
            printInputError(error)
            throw ExitCode(error.exitCode)
        }
    }

    private func renderLosses(_ report: Report, as format: ReportFormat, colour: Bool) -> String {
        switch format {
        case .terminal: LossReportRenderer.terminal(report, colour: colour)
        case .markdown: LossReportRenderer.markdown(report)
        case .html: LossReportRenderer.html(report)
        case .json: LossReportRenderer.json(report)
        case .junit: JUnitRenderer.render([report])
        }
    }
}
