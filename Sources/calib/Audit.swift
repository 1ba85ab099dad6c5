import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// `calib audit FILE…`: every metric and the imbalance section, as reports,
/// with gates for CI and segments; several files make a batch.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Audit the calibration and accuracy of predicted probabilities.",
        discussion: """
            FILE is a CSV, TSV or JSON Lines file (optionally gzip-compressed), a glob such as \
            'scores/*.csv', or - for standard input. Several files are audited one after another; \
            the terminal output ends with a summary table, and with --format json each report is one \
            JSON document, printed in turn. Exit 1 when any --fail-on gate fails for any file.

            --report-dir names each input's reports after its file name without folders, .gz and \
            extension; characters unsafe in file names, and a leading . or -, become _. A name \
            already taken (ignoring case) or 'index' gets -2, -3, …; an -o file may not be one \
            the folder gets (exit 64).

            --recalibrate METHOD,… (temperature, platt, isotonic, histogram, beta) adds "What would \
            fix it": each method fitted on every row, and the cross-entropy, Brier score, ECE, \
            equal-mass ECE, smooth ECE and ROC AUC of its 5-fold cross-fitted scores (row i is \
            rescored by the fit on the rows of the other folds, i mod 5), beside the same metrics of \
            the scores as they are. A method that refuses the data (separable data for platt and \
            beta, a multiclass task for a binary method) is listed with its reason.

            --train-prior/--deploy-prior (CLASS=P for every class; the training prior defaults to \
            the labels' observed prior) or --negative-sampling RATE adjust every row's scores as \
            calib apply does (p'_k ∝ (deploy_k / train_k)·p_k; p' = RATE·s / (RATE·s − s + 1)) \
            before they are audited, and every report says so. --recalibrate then fits the adjusted \
            scores. With either, each file is read twice (once whole, for the fits and the classes, \
            then streamed), so standard input cannot be used.

            --multilabel reads one y_<label> column (0 or 1; false or true) and one p_<label> \
            (probability) or logit_<label> column per label. Each label is audited as a binary task \
            (labels[] in the JSON, the same values as auditing its two columns alone with --label \
            y_<label> --prob p_<label> --positive 1), with the multilabel summary (mean binary \
            cross-entropy, Hamming loss, subset accuracy, micro and macro precision, recall, F1, ROC \
            AUC, average precision and ECE). Gates take KEY[LABEL] ('ece[spam]>0.02', \
            'ranking.rocAUC[phishing]<0.9') and multilabel.KEY ('multilabel.hammingLoss>0.05').
            """
    )

    @Argument(help: ArgumentHelp("Input files or globs; - reads standard input.", valueName: "file"))
    var files: [String]

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    @Flag(name: .customLong("multilabel"), help: "Multi-label model: y_<label> (0/1) and p_<label> (or logit_<label>) columns, one binary audit per label and the multilabel summary.")
    var multiLabel = false

    @OptionGroup(title: "Metrics")
    var metrics: MetricOptionGroup

    @OptionGroup(title: "Ranking and operating points")
    var ranking: RankingOptionGroup

    @OptionGroup(title: "Intervals")
    var intervals: IntervalOptionGroup

    @Option(parsing: .unconditional, help: ArgumentHelp("Show what recalibration would do: fit and 5-fold cross-fit each method (comma-separated).", valueName: "method,…"))
    var recalibrate: String?

    @OptionGroup(title: "Prior shift")
    var prior: PriorShiftOptionGroup

    @OptionGroup(title: "Gates")
    var gateOptions: GateOptionGroup

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    @OptionGroup(title: "Partial state")
    var partial: PartialOptionGroup

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one input file (or - for standard input)") }
        if files.filter({ $0 == "-" }).count > 1 { throw ValidationError("standard input (-) can be read only once") }
        if files.count > 1 && !output.reportOutputs.isEmpty {
            throw ValidationError("-o writes the report of one input (or JUnit XML for all); with several inputs use --report-dir")
        }
        if multiLabel && (readsWhole || metrics.group != nil) {
            throw ValidationError("--multilabel audits each label as read: --recalibrate, the prior-shift flags and --group do not apply to it")
        }
        _ = try methods()
        _ = try prior.parsed()
        if prior.trainPrior != nil && prior.deployPrior == nil {
            throw ValidationError("--train-prior needs --deploy-prior (the prior to shift to)")
        }
        try partial.validate(audit: self)
        if readsWhole && files.contains("-") {
            throw ValidationError("--recalibrate and the prior-shift flags read the input twice; standard input (-) can be read only once: save it to a file")
        }
    }

    /// The `--recalibrate` methods, in the order given, each once.
    func methods() throws -> [RecalibrationMethod] {
        guard let recalibrate else { return [] }
        var methods: [RecalibrationMethod] = []
        for name in recalibrate.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingSpacesAndTabs() }) {
            guard let method = RecalibrationMethod(rawValue: name) else {
                throw optionError("--recalibrate", recalibrate, "\(InputError.name(name)) is not a method; the methods are \(RecalibrationMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !methods.contains(method) { methods.append(method) }
        }
        return methods
    }

    /// Whether each input is also loaded whole (for the fits, or the classes and observed prior of a shift).
    var readsWhole: Bool { recalibrate != nil || prior.deployPrior != nil || prior.negativeSampling != nil }

    /// The prior shift for this input and its words in the reports, and the recalibration summary,
    /// from the whole table; `(nil, nil, nil)` without the flags.
    func wholeInput(_ location: InputLocation, options: ReadOptions, settings: AuditSettings) throws -> (PriorShift?, String?, RecalibrationSummary?) {
        guard readsWhole else { return (nil, nil, nil) }
        let (table, summary) = try TableLoader.load(location, options: options)
        let classes = summary.classes
        let observed = Prior.prior(labels: table.labels.map(Int.init), weights: table.weights, classes: classes.count)
        let shift = try prior.shift(classes: classes, observedTrain: observed)
        var words: String?
        if let rate = try prior.parsed().rate {
            words = "negative sampling at rate \(rate) undone (p' = β·s / (β·s − s + 1))"
        } else if shift != nil {
            let (train, deploy, _) = try prior.parsed()
            let deployed = classes.map { c in "\(c)=\(deploy!.first { $0.0 == c }!.1)" }.joined(separator: ", ")
            let trained = train.map { pairs in classes.map { c in "\(c)=\(pairs.first { $0.0 == c }!.1)" }.joined(separator: ", ") }
                ?? zip(classes, observed).map { "\($0)=\(NumberText.fixed($1, 4))" }.joined(separator: ", ") + " (observed)"
            words = "deploy prior \(deployed); train prior \(trained)"
        }
        let adjusted = shift.map { $0.adjusted(table) } ?? table
        let recalibration = try methods().isEmpty ? nil
            : RecalibrationSummary(methods: try methods(), table: adjusted, classes: classes, settings: settings, runner: TableLoader.runner(threads: options.threads))
        return (shift, words, recalibration)
    }

    func run() throws {
        // Gates first: a bad gate or config file is a usage error before any reading.
        let (gates, minSegmentRows) = try gateOptions.loadOrExit()
        var options = try input.readOptions()
        options.group = try metrics.segmentColumn()
        let settings = try metrics.settings()
        let rankingSettings = try ranking.settings()
        let bootstrap = try intervals.settings()

        var paths: [String] = []
        for file in files {
            guard let expanded = expandGlob(file), !expanded.isEmpty else {
                printError("\(file): no file matches this pattern")
                throw ExitStatus.noInput.exitCode
            }
            paths += expanded
        }
        if paths.count > 1 && !output.reportOutputs.isEmpty {
            printError("-o writes the report of one input (or JUnit XML for all); these patterns match \(paths.count) files: use --report-dir")
            throw ExitStatus.usage.exitCode
        }
        let directory = output.reportDir.map { ReportDirectory(folder: $0, inputs: paths) }
        if let directory, let clash = directory.collision(with: output.output) {
            printError("-o \(InputError.quoted(clash)): --report-dir \(InputError.quoted(directory.folder)) writes a file of that name; choose another name or folder")
            throw ExitStatus.usage.exitCode
        }

        if multiLabel {
            options.multiLabel = true
            return try runMultiLabel(gates: gates, paths: paths, options: options, settings: settings, ranking: rankingSettings, bootstrap: bootstrap, directory: directory)
        }
        let delivery = ReportDelivery(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                      directory: directory) { render($0, as: $1, colour: $2) }
        let progress = ProgressLine()
        for (index, path) in paths.enumerated() {
            let location = try input.location(path)
            let outcome: InputAudit.Outcome
            let shift: PriorShift?, adjustment: String?, recalibration: RecalibrationSummary?
            do {
                (shift, adjustment, recalibration) = try wholeInput(location, options: options, settings: settings)
            } catch let error as InputError {
                delivery.failed(error)
                continue
            } catch let error as ValidationError {
                printError("\(location.displayName): \(error.message)")
                throw ExitStatus.usage.exitCode
            }
            do {
                let sums = try InputAudit.accumulate(location, options: options, settings: settings, ranking: rankingSettings, bootstrap: bootstrap, shift: shift,
                                                     rowOffset: try partial.offset()) { rows in
                    progress.update(location.displayName, rows: rows)
                }
                progress.clear()
                if let path = partial.partialOut {
                    try PartialOutput.write(PartialPart(tool: ToolInfo.currentVersion, rowOffset: try partial.offset(), audit: sums).encodedPart(), to: path)
                    guard PartialOutput.wantsReports(output) else { continue }
                }
                outcome = sums.finish(threads: options.threads)
            } catch let error as InputError {
                progress.clear()
                delivery.failed(error)
                continue
            }
            let outcomes: [GateOutcome]
            do {
                outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: minSegmentRows)
            } catch {
                printError(error.description)
                throw ExitStatus.usage.exitCode
            }
            delivery.deliver(Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: minSegmentRows, gates: outcomes,
                                    recalibration: recalibration, scoreAdjustment: adjustment), input: index)
        }
        let status = delivery.finish(batchSummary: paths.count, gitHub: true)
        if status != .success { throw status.exitCode }
    }
}
