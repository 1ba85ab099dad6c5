import ArgumentParser
import CalibCore
import CalibInput
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `calib apply calibrator.json FILE -o OUT`: rewrites FILE with recalibrated
/// scores (SPEC 12), streaming, in FILE's own format, atomically.
struct Apply: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite a file's scores with a fitted calibrator (and an optional prior shift).",
        discussion: """
            Reads FILE (CSV, TSV or JSON Lines, optionally gzip-compressed, or - for standard input) \
            and writes the same records to OUT with only the score columns replaced: header, other \
            fields, quoting, column or key order and line endings are kept byte for byte, and a score \
            the calibrator leaves unchanged keeps its original text. New scores are written in the \
            shortest form that reads back to the same number (0.1, 1e-05). Labels are not needed. \
            OUT is written atomically (a temporary file renamed over it); -o - writes standard \
            output; an OUT ending in .gz is gzip-compressed. Memory stays constant at any input size.

            Prior shift (Saerens et al. 2002), applied after the calibrator: --train-prior and \
            --deploy-prior (CLASS=P for every class) rescale each row to p'_k ∝ (deploy_k / train_k)·p_k; \
            --negative-sampling RATE (binary: negatives were kept at this rate in training) gives \
            p' = RATE·s / (RATE·s − s + 1). The score columns must be the calibrator's classes (exit 64).
            """
    )

    @Argument(help: ArgumentHelp("The calibrator file written by calib fit.", valueName: "calibrator.json"))
    var calibratorFile: String

    @Argument(help: ArgumentHelp("Input file; - reads standard input.", valueName: "file"))
    var file: String

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Where to write the rewritten file; - is standard output; .gz compresses.", valueName: "path"))
    var output: String

    @OptionGroup(title: "Prior shift")
    var prior: PriorShiftOptionGroup

    @OptionGroup(title: "Input")
    var input: InputOptionGroup

    func validate() throws {
        guard !output.isEmpty else { throw optionError("-o", output, "needs a file name, or - for standard output") }
        _ = try prior.parsed()
        if prior.deployPrior != nil && prior.trainPrior == nil {
            throw ValidationError("--deploy-prior needs --train-prior here: calib apply does not read labels, so it cannot observe the training prior")
        }
        if prior.trainPrior != nil && prior.deployPrior == nil {
            throw ValidationError("--train-prior needs --deploy-prior (the prior to shift to)")
        }
    }

    func run() throws {
        let options = try input.readOptions()
        let contents: CalibratorFile.Contents
        do {
            contents = try CalibratorFile.read(calibratorFile)
        } catch {
            printError(error.description)
            throw error.status.exitCode
        }
        let calibrator = contents.calibrator
        let classes = calibrator.classes
        let shift: PriorShift?
        do {
            shift = try prior.shift(classes: classes, observedTrain: nil)
        } catch let error as ValidationError {
            printError(error.message)
            throw ExitStatus.usage.exitCode
        }
        let location = try input.location(file)
        do {
            let rewriter = try RecordRewriter(location: location, options: options, classes: classes)
            let kind = rewriter.scoreKind
            let perRow = rewriter.scoreColumns.count == 2 && classes.count == 2 ? 1 : rewriter.scoreColumns.count
            // Rows are rewritten on several threads: each row's scratch is its own (on the stack).
            let transform: @Sendable (UnsafeMutableBufferPointer<Double>) -> Void
            if perRow == 1 && shift == nil {
                // A binary score without a shift: rewritten in place (what `apply` does for one score).
                transform = { scores in scores[0] = calibrator.applyBinary(scores[0], kind: kind, as: kind) }
            } else {
                transform = { scores in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: scores.count) { out in
                        calibrator.apply(UnsafeBufferPointer(scores), kind: kind, into: out, as: kind)
                        if let shift {
                            shift.apply(UnsafeBufferPointer(out), kind: kind, into: scores)
                        } else {
                            for k in 0..<out.count { scores[k] = out[k] }
                        }
                    }
                }
            }
            let sink = try OutputSink(output)
            do {
                _ = try rewriter.rewrite(transform) { try sink.write($0) }
                try sink.finish()
            } catch {
                sink.discard()
                throw error
            }
        } catch let error as InputError {
            printInputError(error)
            throw ExitStatus(code: error.exitCode).exitCode
        } catch let error as OutputError {
            printError(error.description)
            throw ExitStatus.cannotWrite.exitCode
        }
    }
}

/// Where `calib apply` writes: standard output, or a file written atomically
/// (gzip-compressed when its name ends in `.gz`).
final class OutputSink {
    private let file: AtomicFile?
    private let gzip: GzipCompressor?

    init(_ path: String) throws {
        file = path == "-" ? nil : try AtomicFile(path)
        gzip = path != "-" && path.lowercased().hasSuffix(".gz") ? try GzipCompressor() : nil
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let gzip {
            try gzip.compress(bytes, finish: false) { try self.raw($0) }
        } else {
            try raw(bytes)
        }
    }

    private func raw(_ bytes: UnsafeRawBufferPointer) throws {
        if let file { try file.append(bytes); return }
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(1, base + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw OutputError(path: "<stdout>", reason: errorText(errno)) }
            done += n
        }
    }

    func finish() throws {
        if let gzip { try gzip.compress(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try self.raw($0) } }
        try file?.commit("")
    }

    func discard() { file?.discard() }
}
