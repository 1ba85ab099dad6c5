import ArgumentParser
import CalibCore

/// Options of the ranking section (SPEC section 8): the operating points'
/// targets, the misclassification costs and the score store's budget.
struct RankingOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Precisions at which to report the best recall (binary; default: 0.5,0.8,0.9,0.95,0.99).", valueName: "p,…"))
    var precisionAt: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("False-positive rates at which to report the best recall (binary; default: 0.001,0.01,0.05).", valueName: "fpr,…"))
    var fprAt: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Alert budgets, as shares of the total weight flagged from the top score down (binary; default: 0.001,0.005,0.01,0.05).", valueName: "share,…"))
    var top: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a false positive (with --cost-fn): adds the cost-optimal threshold and what miscalibration costs.", valueName: "a"))
    var costFp: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Cost of a false negative (with --cost-fp).", valueName: "b"))
    var costFn: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Memory for the exact score store (default 256M); beyond it ranking uses a bounded sketch and says so.", valueName: "bytes"))
    var memoryBudget: String?

    func validate() throws {
        _ = try settings()
    }

    /// The ranking settings; throws the usage error of the first bad value.
    func settings() throws -> RankingSettings {
        var settings = RankingSettings()
        if let precisionAt { settings.precisionTargets = try OptionValue.numbers(precisionAt, flag: "--precision-at", in: 0...1, positive: true) }
        if let fprAt { settings.fprTargets = try OptionValue.numbers(fprAt, flag: "--fpr-at", in: 0...1) }
        if let top { settings.topFractions = try OptionValue.numbers(top, flag: "--top", in: 0...1, positive: true) }
        if let memoryBudget { settings.memoryBudget = try OptionValue.bytes(memoryBudget, flag: "--memory-budget") }
        switch (costFp, costFn) {
        case (nil, nil): break
        case (let a?, let b?):
            let fp = try OptionValue.number(a, flag: "--cost-fp", in: 0...Double.greatestFiniteMagnitude)
            let fn = try OptionValue.number(b, flag: "--cost-fn", in: 0...Double.greatestFiniteMagnitude)
            guard let costs = MisclassificationCosts(falsePositive: fp, falseNegative: fn) else {
                throw ValidationError("--cost-fp \(a) --cost-fn \(b): both costs must be above 0")
            }
            settings.costs = costs
        case (_?, nil): throw ValidationError("--cost-fp needs --cost-fn: give the cost of a miss as well")
        case (nil, _?): throw ValidationError("--cost-fn needs --cost-fp: give the cost of a false alarm as well")
        }
        return settings
    }
}
