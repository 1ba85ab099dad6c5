import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `--train-prior`, `--deploy-prior` and `--negative-sampling` (SPEC 12), for
/// `calib apply` (and, once wired, `calib audit`).
struct PriorShiftOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("The class priors the scores were made under, CLASS=P for every class (default: the observed prior where labels are read).", valueName: "class=p,…"))
    var trainPrior: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The class priors to shift the scores to, CLASS=P for every class.", valueName: "class=p,…"))
    var deployPrior: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Binary: negatives were kept at this rate (0 to 1) in training; undoes it.", valueName: "rate"))
    var negativeSampling: String?

    func validate() throws { _ = try parsed() }

    /// The flags' values, checked on their own (classes are checked by ``shift(classes:observedTrain:)``).
    func parsed() throws -> (train: [(String, Double)]?, deploy: [(String, Double)]?, rate: Double?) {
        let train = try trainPrior.map { try Self.priors($0, flag: "--train-prior") }
        let deploy = try deployPrior.map { try Self.priors($0, flag: "--deploy-prior") }
        let rate = try negativeSampling.map { text -> Double in
            guard let x = Double(text), x.isFinite, x > 0, x <= 1 else {
                throw optionError("--negative-sampling", text, "must be a number above 0 and at most 1 (the rate at which negatives were kept)")
            }
            return x
        }
        if rate != nil && deploy != nil {
            throw ValidationError("--negative-sampling and --deploy-prior both shift the prior; give one of them")
        }
        return (train, deploy, rate)
    }

    /// `CLASS=P,…`: each P above 0 and at most 1, each class once, summing to 1 within 1e-3.
    static func priors(_ text: String, flag: String) throws -> [(String, Double)] {
        var pairs: [(String, Double)] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmingSpacesAndTabs() }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw optionError(flag, text, "write CLASS=P for every class, separated by commas (e.g. legit=0.99,fraud=0.01)")
            }
            guard let p = Double(parts[1]), p.isFinite, p > 0, p <= 1 else {
                throw optionError(flag, text, "the prior of \(InputError.name(parts[0])) must be a number above 0 and at most 1")
            }
            if pairs.contains(where: { $0.0 == parts[0] }) { throw optionError(flag, text, "names the class \(InputError.name(parts[0])) twice") }
            pairs.append((parts[0], p))
        }
        guard pairs.count >= 2 else { throw optionError(flag, text, "needs a prior for at least two classes") }
        let total = pairs.reduce(0) { $0 + $1.1 }
        guard Swift.abs(total - 1) <= 1e-3 else {
            throw optionError(flag, text, "the priors sum to \(total); they must sum to 1")
        }
        return pairs
    }

    /// The priors in class order; every class exactly once.
    static func vector(_ pairs: [(String, Double)], classes: [String], flag: String) throws -> [Double] {
        let names = pairs.map(\.0)
        let unknown = names.filter { !classes.contains($0) }
        let missing = classes.filter { !names.contains($0) }
        guard unknown.isEmpty && missing.isEmpty else {
            var parts: [String] = []
            if !unknown.isEmpty { parts.append("\(InputError.list(unknown)) \(unknown.count == 1 ? "is not a class" : "are not classes")") }
            if !missing.isEmpty { parts.append("no prior for \(InputError.list(missing))") }
            throw ValidationError("\(flag): \(parts.joined(separator: "; ")); the classes are \(InputError.list(classes))")
        }
        return classes.map { c in pairs.first { $0.0 == c }!.1 }
    }

    /// The shift the flags ask for, for these classes (binary `[negative, positive]`); `nil` when none.
    /// `observedTrain` stands in for a missing `--train-prior`.
    func shift(classes: [String], observedTrain: [Double]?) throws -> PriorShift? {
        let (train, deploy, rate) = try parsed()
        if let rate {
            guard classes.count == 2 else { throw ValidationError("--negative-sampling is for binary tasks; there are \(classes.count) classes") }
            return PriorShift(negativeSampling: rate)
        }
        guard let deploy else { return nil }
        let deployed = try Self.vector(deploy, classes: classes, flag: "--deploy-prior")
        let trained: [Double]
        if let train {
            trained = try Self.vector(train, classes: classes, flag: "--train-prior")
        } else if let observedTrain, observedTrain.allSatisfy({ $0 > 0 }) {
            trained = observedTrain
        } else {
            throw ValidationError("--deploy-prior needs --train-prior (or labels of every class to observe it)")
        }
        return PriorShift(train: trained, deploy: deployed)
    }
}

/// `calib prior FILE`: the EM estimate of the deployment prior from scores (SPEC 12).
struct Prior: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Estimate the class prior of a file's population from its scores alone (EM of Saerens et al. 2002).",
        discussion: """
            Iterates π'_k ← mean_i p'_ik with p'_ik ∝ (π'_k / π_k)·p_ik from the training prior π \
            (--train-prior; by default the prior observed in FILE's labels) until no class moves by \
            1e-13, or 10,000 updates. Labels are optional when --train-prior is given; when FILE has \
            them, the observed prior is shown beside the estimate. The scores must be calibrated for \
            the training prior (fit and apply a calibrator first).

            The interval of each estimate is the basic Poisson-bootstrap interval of SPEC section 10 \
            (--bootstrap replicates, default 200; --confidence; --seed): each replicate reweighs the \
            rows by Poisson(1) counts keyed by the seed, the replicate and the row's line, and runs \
            the EM again.
            """
    )

    @Argument(help: ArgumentHelp("Input file; - reads standard input.", valueName: "file"))
    var file: String

    @Option(parsing: .unconditional, help: ArgumentHelp("The class priors the scores were made under, CLASS=P for every class (required when FILE has no labels).", valueName: "class=p,…"))
    var trainPrior: String?

    @Option(help: ArgumentHelp("What to print on standard output.", valueName: "terminal|json"))
    var format: PriorFormat = .terminal

    @OptionGroup(title: "Intervals")
    var intervals: IntervalOptionGroup

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    enum PriorFormat: String, ExpressibleByArgument { case terminal, json }

    func validate() throws {
        _ = try trainPrior.map { try PriorShiftOptionGroup.priors($0, flag: "--train-prior") }
    }

    struct Outcome {
        var source: String
        var rows: Int
        var weighted: Bool
        var classes: [String]
        var train: [Double]
        var trainFrom: String
        var observed: [Double]?
        var estimate: PriorEstimate
        var bootstrap: BootstrapSettings?
        var intervals: [MetricInterval?]?
    }

    func run() throws {
        let options = try input.readOptions()
        let location = try input.location(file)
        var outcome: Outcome
        let settings = try intervals.settings()
        do {
            var table = PredictionTable(shape: ClassificationShape(classCount: 2, scoreKind: .probabilities))
            outcome = try trainPrior == nil ? labelled(location, options: options, table: &table) : unlabelled(location, options: options, table: &table)
            if let settings {
                outcome.bootstrap = settings
                outcome.intervals = PriorEstimate.intervals(table, train: outcome.train, estimate: outcome.estimate, settings: settings,
                                                            runner: TableLoader.runner(threads: options.threads))
            }
        } catch let error as InputError {
            printInputError(error)
            if trainPrior == nil && error.reason.contains("no label column") {
                printHint("without labels, give the training prior with --train-prior CLASS=P,…")
            }
            throw ExitStatus(code: error.exitCode).exitCode
        } catch let error as ValidationError {
            printError(error.message)
            throw ExitStatus.usage.exitCode
        }
        do {
            try writeStandardOutput(format == .json ? Self.json(outcome) : Self.text(outcome))
        } catch let error as OutputError {
            printError(error.description)
            throw ExitStatus.cannotWrite.exitCode
        }
    }

    /// Labels read: the training prior is the observed one.
    func labelled(_ location: InputLocation, options: ReadOptions, table: inout PredictionTable) throws -> Outcome {
        let summary: InputSummary
        (table, summary) = try TableLoader.load(location, options: options)
        let observed = Self.prior(labels: table.labels.map(Int.init), weights: table.weights, classes: summary.classes.count)
        guard observed.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("\(summary.source): not every class has a labelled row, so the training prior cannot be observed; give it with --train-prior CLASS=P,…")
        }
        return Outcome(source: summary.source, rows: summary.rows, weighted: summary.weighted, classes: summary.classes, train: observed,
                       trainFrom: "observed in the labels", observed: observed, estimate: PriorEstimate.estimate(table, train: observed), bootstrap: nil, intervals: nil)
    }

    /// `--train-prior` given: labels optional.
    func unlabelled(_ location: InputLocation, options: ReadOptions, table: inout PredictionTable) throws -> Outcome {
        let pairs = try PriorShiftOptionGroup.priors(trainPrior!, flag: "--train-prior")
        var classes = pairs.map(\.0)
        if classes.count == 2 {
            if let positive = options.positive {
                guard let p = classes.firstIndex(of: positive) else {
                    throw ValidationError("--positive \(InputError.name(positive)) is not one of the classes of --train-prior (\(InputError.list(classes)))")
                }
                classes = [classes[1 - p], classes[p]]
            } else if let pair = BinaryClassPair.known(classes[0], classes[1]) {
                classes = [pair.negative, pair.positive]
            } else {
                throw ValidationError("two classes (\(InputError.list(classes))) and no way to tell which is positive; name it with --positive CLASS")
            }
        }
        let train = try PriorShiftOptionGroup.vector(pairs, classes: classes, flag: "--train-prior")
        let reader = try RecordRewriter(location: location, options: options, classes: classes, extras: true)
        table = PredictionTable(shape: ClassificationShape(classCount: classes.count, scoreKind: reader.scoreKind))
        var labels: [Int] = []
        var unknownLabel: String?
        var rows = PredictionTable(shape: table.shape)
        _ = try reader.scan { scores, label, weight, line in
            rows.append(label: 0, scores: scores, weight: weight, line: line, id: nil, group: nil)
            if let label, reader.labelColumn != nil {
                if let k = classes.firstIndex(of: label) { labels.append(k) } else if unknownLabel == nil { unknownLabel = label }
            }
        }
        table = rows
        if let unknownLabel {
            throw InputError(.data, file: location.displayName, column: reader.labelColumn,
                             reason: "the label \(InputError.quoted(unknownLabel)) is not one of the classes of --train-prior (\(InputError.list(classes)))")
        }
        guard !table.isEmpty else { throw InputError(.data, file: location.displayName, reason: "the file has no data rows") }
        var observed: [Double]?
        if reader.labelColumn != nil && labels.count == table.count {
            observed = Self.prior(labels: labels, weights: table.weights, classes: classes.count)
        }
        return Outcome(source: location.displayName, rows: table.count, weighted: reader.weightColumn != nil, classes: classes, train: train,
                       trainFrom: "--train-prior", observed: observed, estimate: PriorEstimate.estimate(table, train: train), bootstrap: nil, intervals: nil)
    }

    static func prior(labels: [Int], weights: [Double], classes: Int) -> [Double] {
        var sums = [CompensatedSum](repeating: CompensatedSum(), count: classes)
        var total = CompensatedSum()
        for (y, w) in zip(labels, weights) { sums[y] += w; total += w }
        return sums.map { $0.value / total.value }
    }

    static func text(_ o: Outcome) -> String {
        var lines = ["calib prior: \(TextEscaping.plain(o.source)) (\(o.rows) rows\(o.weighted ? ", weighted" : ""))",
                     "  EM of Saerens et al. (2002): \(o.estimate.iterations) update\(o.estimate.iterations == 1 ? "" : "s"), \(o.estimate.converged ? "converged (no class moved by 1e-13)" : "not converged after 10,000 updates")",
                     "  training prior: \(o.trainFrom)", ""]
        let width = Swift.max(5, o.classes.map(\.count).max() ?? 5) + 2
        let intervalHeading = o.bootstrap.map { "\(NumberText.fixed($0.confidence * 100, 0))% interval" } ?? ""
        lines.append("  " + NumberText.padRight("class", width) + NumberText.pad("train", 10) + NumberText.pad("estimate", 12)
                     + (o.intervals == nil ? "" : "  " + NumberText.padRight(intervalHeading, 22)) + (o.observed == nil ? "" : NumberText.pad("observed", 10)))
        for (k, c) in o.classes.enumerated() {
            let interval = o.intervals.map { i in i[k].map { "[\(NumberText.fixed($0.lower, 5)), \(NumberText.fixed($0.upper, 5))]" } ?? "—" }
            lines.append("  " + NumberText.padRight(c, width) + NumberText.pad(NumberText.fixed(o.train[k], 5), 10)
                         + NumberText.pad(NumberText.fixed(o.estimate.prior[k], 5), 12)
                         + (interval.map { "  " + NumberText.padRight($0, 22) } ?? "")
                         + (o.observed.map { NumberText.pad(NumberText.fixed($0[k], 5), 10) } ?? ""))
        }
        if let b = o.bootstrap {
            lines.append("")
            lines.append("  intervals: basic Poisson bootstrap, \(b.replicates) replicates, seed \(b.seed)")
        }
        return lines.map { line in String(line.reversed().drop { $0 == " " }.reversed()) }.joined(separator: "\n") + "\n"
    }

    static func interval(_ o: Outcome) -> String {
        guard let b = o.bootstrap, let intervals = o.intervals else { return "null" }
        let classes = zip(o.classes, intervals).map { c, i in
            "\(CalibratorFile.string(c)): " + (i.map { "{\"lower\": \($0.lower), \"upper\": \($0.upper)}" } ?? "null")
        }
        return "{\"method\": \"poisson-bootstrap\", \"replicates\": \(b.replicates), \"confidence\": \(b.confidence), \"seed\": \(b.seed), \"classes\": {\(classes.joined(separator: ", "))}}"
    }

    static func json(_ o: Outcome) -> String {
        func object(_ values: [Double]) -> String {
            "{" + zip(o.classes, values).map { "\(CalibratorFile.string($0)): \($1)" }.joined(separator: ", ") + "}"
        }
        return """
            {
              "schemaVersion": 1,
              "source": \(CalibratorFile.string(o.source)),
              "rows": \(o.rows),
              "weighted": \(o.weighted),
              "classes": [\(o.classes.map(CalibratorFile.string).joined(separator: ", "))],
              "trainPrior": \(object(o.train)),
              "estimate": \(object(o.estimate.prior)),
              "iterations": \(o.estimate.iterations),
              "converged": \(o.estimate.converged),
              "observedPrior": \(o.observed.map(object) ?? "null"),
              "interval": \(interval(o))
            }

            """
    }
}
