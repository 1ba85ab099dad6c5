public import ArgumentParser
public import CalibCore
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#endif

/// `calib fit FILE --method M -o calibrator.json`: fits a calibrator (SPEC 12)
/// on every row, writes it, and prints its parameters and what it does to
/// 5-fold cross-fitted scores, so the improvement shown is honest.
struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a calibrator (temperature, Platt, isotonic, histogram or beta) and write it to a file.",
        discussion: """
            Fits the method on every row of FILE (labels and scores, as calib audit reads them) and \
            writes the calibrator file that calib apply reads (-o -: standard output). Also prints \
            the parameters and the cross-entropy, Brier score, ECE, equal-mass ECE, smooth ECE and \
            ROC AUC of the scores before and after recalibration, the latter 5-fold cross-fitted: \
            row i (0-based, in input order) is rescored by the calibrator fitted on the rows of the \
            other four folds (i mod 5), so a method cannot look better by memorising the rows.

            Methods: temperature (binary and multiclass: softmax(z / T)), platt (σ(a·logit(s) + b)), \
            beta (σ(a·ln s − b·ln(1 − s) + c)), isotonic (scikit-learn's IsotonicRegression), \
            histogram (--bins equal-mass bins, each its observed positive rate). Platt and beta \
            refuse separable data (their likelihood has no maximum): exit 65 with the reason.
            """
    )

    @Argument(help: ArgumentHelp("Input file; - reads standard input.", valueName: "file"))
    var file: String

    @Option(help: ArgumentHelp("The calibration method.", valueName: "temperature|platt|isotonic|histogram|beta"))
    var method: RecalibrationMethod

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the calibrator file (JSON); - is standard output.", valueName: "path"))
    var output: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Equal-mass bins of the histogram method, and equal-width bins of the ECE shown, 1 to 10000.", valueName: "n"))
    var bins: String = "15"

    @Flag(inversion: .prefixedNo, help: "Cross-fit the method (5 folds) to show what it does to scores it has not seen (on by default; --no-cross-fit only fits).")
    var crossFit = true

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    func validate() throws {
        _ = try OptionValue.wholeNumber(bins, flag: "--bins", in: 1...10_000)
        guard !output.isEmpty else { throw optionError("-o", output, "needs a file name, or - for standard output") }
    }

    func run() throws {
        if crossFit { Self.reuseFreedMemory() }
        let options = try input.readOptions()
        let binCount = try OptionValue.wholeNumber(bins, flag: "--bins", in: 1...10_000)
        let location = try input.location(file)
        let table: PredictionTable
        let summary: InputSummary
        do {
            (table, summary) = try TableLoader.load(location, options: options, keepingLines: false)
        } catch let error as InputError {
            printInputError(error)
            throw ExitStatus(code: error.exitCode).exitCode
        }
        let runner = TableLoader.runner(threads: options.threads)
        let settings = AuditSettings(bins: binCount)
        let calibrator: Calibrator
        var crossFitted: PredictionTable?
        var before: FitMetrics?
        do {
            if crossFit {
                (calibrator, crossFitted, before) = try Self.fitBesideBefore(method, table: table, classes: summary.classes, bins: binCount,
                                                                             settings: settings, runner: runner)
            } else {
                calibrator = try Recalibration.fit(method, table: table, classes: summary.classes, bins: binCount, runner: runner)
            }
        } catch {
            printError("\(summary.source): cannot fit \(method.rawValue) calibration: \(error.reason)")
            throw ExitStatus.dataError.exitCode
        }
        let contents = CalibratorFile.Contents(calibrator: calibrator, bins: method == .histogram ? binCount : nil,
                                               source: summary.source, rows: summary.rows, weighted: summary.weighted)
        let comparison = before.flatMap { before in
            crossFitted.map { scores in (before, FitMetrics(of: scores, settings: settings, runner: runner)) }
        }
        let text = Self.summary(contents, summary: summary, comparison: comparison, wrote: output)
        do {
            if output == "-" {
                try writeStandardOutput(CalibratorFile.text(contents))
                printLine(text, to: 2)
            } else {
                try writeAtomically(CalibratorFile.text(contents), to: output)
                try writeStandardOutput(text + "\n")
            }
        } catch let error as OutputError {
            printError(error.description)
            throw ExitStatus.cannotWrite.exitCode
        }
    }

    /// glibc only: large blocks come from the heap instead of their own
    /// mappings (`mallopt(M_MMAP_MAX, 0)`), and freed memory is kept
    /// (`M_TRIM_THRESHOLD` at its maximum), so the fit's many row-sized
    /// arrays (the table's growth, the fits' columns, the rescored scores,
    /// the comparison's keys) reuse freed pages instead of faulting in and
    /// zeroing new ones: on 10M rows about 85,000 fewer page faults and
    /// 0.2 s less system time. The default fit's peak is lower than before
    /// this and the comparison's trimming (0.81 GB against 0.87). Only
    /// when cross-fitting: with `--no-cross-fit` (few arrays freed and
    /// allocated again) it would raise the peak by 80 to 160 MB. Set
    /// through `dlsym`, as Swift's Glibc module does not declare `mallopt`;
    /// elsewhere (or without the symbol) nothing changes.
    static func reuseFreedMemory() {
        #if canImport(Glibc)
        typealias MallocOption = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallocOption.self)
        let mmapMax: Int32 = -4, trimThreshold: Int32 = -1 // glibc's M_MMAP_MAX, M_TRIM_THRESHOLD
        _ = mallopt(mmapMax, 0)
        _ = mallopt(trimThreshold, Int32.max)
        #endif
    }

    /// What `calib fit` prints: the fit, its parameters, and the before/after table.
    static func summary(_ c: CalibratorFile.Contents, summary: InputSummary, comparison: (before: FitMetrics, after: FitMetrics)?, wrote: String) -> String {
        var lines: [String] = []
        let classes = summary.classes
        let task = classes.count == 2 ? "binary, positive class \(InputError.quoted(classes[1]))" : "\(classes.count) classes"
        lines.append("calib fit: \(c.calibrator.method.rawValue) calibration of \(TextEscaping.plain(summary.source)) (\(summary.rows) rows, \(task)\(summary.weighted ? ", weighted" : ""), \(summary.shape.scoreKind == .logits ? "logits" : "probabilities"))")
        if summary.skipped.total > 0 { lines.append("  skipped \(summary.skipped.total) invalid rows (--on-invalid skip)") }
        lines.append("  parameters: " + parameterText(c.calibrator.parameters))
        lines.append("")
        if let (before, after) = comparison {
            lines.append("  5-fold cross-fitted (each row rescored by the fit on the other folds, fold = row index mod 5):")
            let rows: [(String, Double, Double, Bool)] = [
                ("cross-entropy", before.crossEntropy, after.crossEntropy, true),
                ("Brier score", before.brier, after.brier, true),
                (classes.count == 2 ? "ECE (positive class)" : "ECE (top label)", before.ece, after.ece, true),
                ("equal-mass ECE", before.equalMassECE, after.equalMassECE, true),
                ("smooth ECE", before.smoothECE, after.smoothECE, true),
                ("ROC AUC", before.rocAUC, after.rocAUC, false),
            ]
            lines.append("  " + pad("metric", 22) + pad("before", 12) + pad("after", 12) + "change")
            for (name, b, a, lowerIsBetter) in rows {
                let change = a - b
                let verdict = RecalibrationSummary.verdict(change: change, lowerIsBetter: lowerIsBetter, decimals: 5)
                lines.append("  " + pad(name, 22) + pad(format(b), 12) + pad(format(a), 12) + signed(change) + (verdict.isEmpty ? "" : "  " + verdict))
            }
            lines.append("")
        }
        lines.append(wrote == "-" ? "  calibrator written to standard output" : "  wrote \(wrote); apply it with: calib apply \(wrote) FILE -o OUT")
        return lines.joined(separator: "\n")
    }

    static func parameterText(_ p: Calibrator.Parameters) -> String { RecalibrationSummary.parameterText(p) }

    static func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count) }

    static func format(_ x: Double) -> String {
        return NumberText.fixed(x, 5)
    }

    static func signed(_ x: Double) -> String {
        NumberText.signed(x, 5)
    }
}

/// The metrics `calib fit` compares: the engine's `RecalibrationMetrics`
/// of a table, the same bits as `RecalibrationSummary.audit` gives
/// `calib audit --recalibrate` (it computes only these six numbers).
typealias FitMetrics = RecalibrationMetrics

extension Fit {
    /// `Recalibration.fitAndCrossFit` and the metrics of the scores as they
    /// are (which read only the table) side by side, two tasks of `runner`:
    /// the "before" side's serial passes fill the threads the fits leave
    /// idle, and its memory (its keys, sorted pieces and walks) is freed
    /// before the "after" side's is taken, so the two are not held at once
    /// (on 10M rows the default fit's peak falls from about 0.8 GB to
    /// 0.5–0.6 GB with the table read without lines). The same numbers as
    /// one after the other; the fit's error, if it fails.
    static func fitBesideBefore(_ method: RecalibrationMethod, table: PredictionTable, classes: [String], bins: Int,
                                settings: AuditSettings, runner: @escaping RankingRunner)
        throws(RecalibrationError) -> (calibrator: Calibrator, crossFitted: PredictionTable, before: FitMetrics) {
        let fitted = TaskSlots<Result<(calibrator: Calibrator, crossFitted: PredictionTable), RecalibrationError>>(count: 1)
        let before = TaskSlots<FitMetrics>(count: 1)
        runner(2) { task in
            if task == 0 {
                fitted.set(0, Result { () throws(RecalibrationError) in
                    try Recalibration.fitAndCrossFit(method, table: table, classes: classes, bins: bins, runner: runner)
                })
            } else {
                before.set(0, FitMetrics(of: table, settings: settings, runner: runner))
            }
        }
        let (calibrator, crossFitted) = try fitted.take(0).get()
        return (calibrator, crossFitted, before.take(0))
    }
}

extension RecalibrationMethod: ExpressibleByArgument {}
