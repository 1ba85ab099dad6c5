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

    @Option(parsing: .unconditional, help: ArgumentHelp("β of the effective-number class weights (Cui et al. 2019), at least 0 and below 1.", valueName: "β"))
    var beta: String = "0.9999"

    @Option(help: ArgumentHelp("Label-smoothing ε values, separated by commas.", valueName: "ε,…"))
    var smoothing: String = "0.1"

    @Option(help: ArgumentHelp("Class weights for weighted cross-entropy: inverse-frequency, effective-number, or a file (JSON object or CSV with class,weight). Repeatable.", valueName: "scheme|file"))
    var weights: [String] = ["inverse-frequency", "effective-number"]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @OptionGroup(title: "Output")
    var output: LossOutputOptionGroup

    func validate() throws {
        _ = try numbers(focalGamma, "--focal-gamma", in: 0...100)
        _ = try numbers(smoothing, "--smoothing", in: 0...1)
        _ = try alpha()
        _ = try effectiveNumberBeta()
    }

    /// A comma-separated list of numbers in `range`; an empty item is an error.
    private func numbers(_ text: String, _ flag: String, in range: ClosedRange<Double>) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpacesAndTabs() }
        guard parts.contains(where: { !$0.isEmpty }) else { throw optionError(flag, text, "needs at least one number") }
        return try parts.map { part in
            guard let x = Double(part), x.isFinite, range.contains(x) else {
                throw optionError(flag, text, "\(InputError.quoted(part)) is not a number from \(Int(range.lowerBound)) to \(Int(range.upperBound))")
            }
            return x
        }
    }

    private func alpha() throws -> Double? {
        guard let focalAlpha else { return nil }
        if focalAlpha.lowercased() == "none" { return -1 }
        guard let a = Double(focalAlpha), a >= 0 && a <= 1 else {
            throw optionError("--focal-alpha", focalAlpha, "must be a number from 0 to 1, or none")
        }
        return a
    }

    private func effectiveNumberBeta() throws -> Double {
        guard let b = Double(beta), b >= 0 && b < 1 else { throw optionError("--beta", beta, "must be a number at least 0 and below 1") }
        return b
    }

    func run() throws {
        let options = try input.readOptions()
        do {
            let (specifications, givenTables) = try lossSpecifications()
            let delivery = ReportDelivery(format: output.format, reportOutputs: output.reportOutputs) {
                Self.renderLosses($0, as: $1, colour: $2)
            }
            let location = try input.location(file)
            let audited = try InputAudit.run(location, options: options, losses: specifications)
            for (path, table) in givenTables {
                let missing = audited.result.classNames.filter { table[$0] == nil }
                if !missing.isEmpty {
                    throw InputError(.usage, file: path, reason: "gives no weight for the class\(missing.count > 1 ? "es" : "") \(InputError.list(missing)) (classes: \(InputError.list(audited.result.classNames)))")
                }
            }
            delivery.deliver(Report(input: audited.input, result: audited.result), input: 0)
            let status = delivery.finish()
            if status != .success { throw status.exitCode }
        } catch let error as InputError {
            printInputError(error)
            throw ExitStatus(code: error.exitCode).exitCode
        }
    }

    /// The losses the flags ask for, cross-entropy first, and the class-weight
    /// tables read from files (each checked against the classes once they are known).
    private func lossSpecifications() throws -> ([LossSpecification], [(path: String, weights: [String: Double])]) {
        let beta = try effectiveNumberBeta()
        var specifications: [LossSpecification] = [.crossEntropy]
        var givenTables: [(path: String, weights: [String: Double])] = []
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
        for gamma in try numbers(focalGamma, "--focal-gamma", in: 0...100) { specifications.append(.focal(gamma: gamma, alpha: a)) }
        for epsilon in try numbers(smoothing, "--smoothing", in: 0...1) { specifications.append(.labelSmoothing(epsilon: epsilon)) }
        return (specifications, givenTables)
    }

    private static func renderLosses(_ report: Report, as format: ReportFormat, colour: Bool) -> String {
        switch format {
        case .terminal: LossReportRenderer.terminal(report, colour: colour)
        case .markdown: LossReportRenderer.markdown(report)
        case .html: LossReportRenderer.html(report)
        case .json: LossReportRenderer.json(report)
        case .junit: JUnitRenderer.render([report])  // refused by LossOutputOptionGroup
        }
    }
}
