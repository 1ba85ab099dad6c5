import ArgumentParser
import CalibCore
import CalibInput
import CalibReport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `calib merge PART…` (SPEC section 14): the reports, gates and exit status
/// of `calib audit` over the concatenation of the inputs the parts were
/// written from, with `--partial-out` a part of its own (so that merges make trees).
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge the partial states of calib audit --partial-out into one audit's reports and gates.",
        discussion: """
            Each PART is a file written by calib audit FILE --partial-out PART (or by calib merge \
            --partial-out). The parts are added in the order given, as if their inputs had been \
            concatenated in that order: every count equals the single audit's, every value agrees \
            to 1e-12 relative. Intervals (--bootstrap) are those of the single audit when each part \
            was audited with --row-offset N, N the data lines of the whole input before the part's \
            first data line (header lines not counted); without it they are as wide, not the same. \
            Worst rows and skipped rows keep their part's file name and line. Parts of \
            multi-label audits (calib audit --multilabel) merge into the multi-label report; \
            they do not merge with single-label parts.

            Parts whose settings, classes, score kind or columns differ, or that another calib \
            version wrote, are a usage error (exit 64) \
            naming the difference; a part that is truncated, corrupted, of a newer format or not a \
            part at all is exit 65 naming the file. --partial-out PART (- for standard output) writes \
            the merged part; reports are then written only where -o or --report-dir asks.
            """
    )

    @Argument(help: ArgumentHelp("Partial states, in input order.", valueName: "part"))
    var parts: [String]

    @Option(help: ArgumentHelp("Also write the merged partial state to this file (- for standard output).", valueName: "part"))
    var partialOut: String?

    @OptionGroup(title: "Gates")
    var gateOptions: GateOptionGroup

    @Option(parsing: .unconditional, help: ArgumentHelp("Threads for the ranking's sort (default: one per online core).", valueName: "n"))
    var threads: String?

    @OptionGroup(title: "Output")
    var output: OutputOptionGroup

    func validate() throws {
        guard !parts.isEmpty else { throw ValidationError("name at least one part (written by calib audit --partial-out)") }
        try PartialOutput.validate(partialOut, output: output, gates: gateOptions, command: "calib merge")
        if let threads { _ = try OptionValue.wholeNumber(threads, flag: "--threads", in: 1...1_024) }
    }

    func run() throws {
        let (gates, minSegmentRows) = try gateOptions.loadOrExit()
        let threads = try threads.map { try OptionValue.wholeNumber($0, flag: "--threads", in: 1...1_024) } ?? ReadOptions.onlineCores
        switch try PartialOutput.read(parts[0]) {
        case .audit(let first):
            let merged = try mergeRest(first) { if case .audit(let part) = $0 { part } else { nil } }
            guard partialOut == nil || PartialOutput.wantsReports(output) else { return }
            try deliver(merged.audit.finish(threads: threads), gates: gates, minSegmentRows: minSegmentRows)
        case .multiLabel(let first):
            let merged = try mergeRest(first) { if case .multiLabel(let part) = $0 { part } else { nil } }
            guard partialOut == nil || PartialOutput.wantsReports(output) else { return }
            try deliver(merged.audit.finish(threads: threads), gates: gates)
        }
    }

    /// `first` with every other part merged after it in order (each of the
    /// same kind, `same` extracts it, and with the same settings), written to
    /// `--partial-out` when asked.
    func mergeRest<Part: MergeablePart>(_ first: Part, same: (AnyPartialPart) -> Part?) throws -> Part {
        var merged = first
        for path in parts.dropFirst() {
            let read = try PartialOutput.read(path)
            guard let part = same(read) else {
                printError("\(path): part \(InputError.quoted(path)) is \(read.kind), \(InputError.quoted(parts[0])) is not: merge parts of one kind of audit")
                throw ExitStatus.usage.exitCode
            }
            if let mismatch = merged.mismatch(with: part, name: parts[0], otherName: path) {
                printError(mismatch.description)
                throw ExitStatus.usage.exitCode
            }
            merged.merge(part)
        }
        merged.tool = ToolInfo.currentVersion
        merged.rowOffset = 0
        if let partialOut { try PartialOutput.write(merged.encodedPart(), to: partialOut) }
        return merged
    }

    /// The single-label audit's reports and gates, as `calib audit` delivers them.
    func deliver(_ outcome: InputAudit.Outcome, gates: [GateExpression], minSegmentRows: Int) throws {
        let outcomes: [GateOutcome]
        do {
            outcomes = try GateEvaluator.evaluate(gates, result: outcome.result, input: outcome.input, segments: outcome.segments, minSegmentRows: minSegmentRows)
        } catch {
            printError(error.description)
            throw ExitStatus.usage.exitCode
        }
        let directory = output.reportDir.map { ReportDirectory(folder: $0, inputs: [outcome.input.source]) }
        let delivery = ReportDelivery(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                      directory: directory) { render($0, as: $1, colour: $2) }
        delivery.deliver(Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: minSegmentRows, gates: outcomes),
                         input: 0)
        let status = delivery.finish(gitHub: true)
        if status != .success { throw status.exitCode }
    }

    /// The multi-label audit's reports and gates, as `calib audit --multilabel` delivers them.
    func deliver(_ outcome: MultiLabelAudit.Outcome, gates: [GateExpression]) throws {
        let directory = output.reportDir.map { ReportDirectory(folder: $0, inputs: [outcome.input.source]) }
        let delivery = ReportDelivery<MultiLabelReport>(format: output.format, reportOutputs: output.reportOutputs, junitOutputs: output.junitOutputs,
                                                        directory: directory) { report, format, colour in report.rendered(format, colour: colour) }
        delivery.deliver(try MultiLabelReport.gated(outcome, gates: gates), input: 0)
        let status = delivery.finish(gitHub: true)
        if status != .success { throw status.exitCode }
    }
}

/// Reading and writing parts for `calib audit --partial-out` and `calib merge`.
enum PartialOutput {
    /// Whether -o or --report-dir asks for a report (with `--partial-out`, nothing else prints one).
    static func wantsReports(_ output: OutputOptionGroup) -> Bool {
        !output.output.isEmpty || output.reportDir != nil
    }

    /// `--partial-out` with the other output options: a part on standard
    /// output leaves no room for a report there, and gates need a report.
    static func validate(_ partialOut: String?, output: OutputOptionGroup, gates: GateOptionGroup, command: String) throws {
        guard let partialOut else { return }
        if partialOut == "-" && output.output.contains("-") {
            throw ValidationError("--partial-out - and -o - both write to standard output; write one of them to a file")
        }
        let gated = !gates.failOn.isEmpty || !gates.warnOn.isEmpty || gates.config != nil
        if gated && !wantsReports(output) {
            throw ValidationError("with --partial-out, \(command) prints no report, so it has no gates to check: gate the merged parts (calib merge … --fail-on), or ask for a report with -o or --report-dir")
        }
    }

    /// The part at `path`; a missing file exits 66, a damaged one 65, each naming the file.
    static func read(_ path: String) throws -> AnyPartialPart {
        let bytes: PartialBytes
        do {
            bytes = try PartialFile.read(path, truncatedMessage: errorLine(PartialFile.changedWhileRead(path).description))
        } catch {
            if let damaged = error.damaged {
                printError(damaged.description)
                throw ExitStatus(code: damaged.exitCode).exitCode
            }
            printError(error.reason)
            throw ExitStatus.noInput.exitCode
        }
        do {
            return try AnyPartialPart(decoding: bytes, file: path)
        } catch {
            printError(error.description)
            throw ExitStatus(code: error.exitCode).exitCode
        }
    }

    /// Writes `part` to `path` atomically (renamed into place, not flushed to
    /// disk: see ``AtomicFile/commit(_:flush:)``), or to standard output for
    /// `-`, straight from where its bytes lie; a failure exits 74.
    static func write(_ part: EncodedPart, to path: String) throws {
        try write(path) { append in try part.forEachSegment { try append($0) } }
    }

    /// Writes what `body` hands its `append` to `path` atomically, or to
    /// standard output for `-`; a failure exits 74.
    private static func write(_ path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        do {
            if path == "-" {
                try body { bytes in
                    let failure = writeAll(bytes, to: 1)
                    if failure != 0 { throw OutputError(path: "<stdout>", reason: errorText(failure)) }
                }
            } else {
                let file = try AtomicFile(path)
                try body { try file.append($0) }
                try file.commit("", flush: false)
            }
        } catch let error as OutputError {
            printError(error.description)
            throw ExitStatus.cannotWrite.exitCode
        }
    }
}

/// `calib audit`'s partial-state options (SPEC section 14).
struct PartialOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Write the audit's mergeable partial state to this file (- for standard output) for calib merge; reports are then written only where -o or --report-dir asks.", valueName: "part"))
    var partialOut: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Data lines of the whole input before this part's first data line (header lines not counted): keys the bootstrap so that merged parts give the single audit's intervals (default 0).", valueName: "n"))
    var rowOffset: String?

    /// `--row-offset`, 0 when not given.
    func offset() throws -> Int {
        try rowOffset.map { try OptionValue.wholeNumber($0, flag: "--row-offset", in: 0...(Int.max / 2)) } ?? 0
    }

    func validate(audit: Audit) throws {
        _ = try offset()
        guard partialOut != nil else { return }
        if audit.files.count > 1 || audit.files.contains(where: { $0.contains("*") || $0.contains("?") || $0.contains("[") }) {
            throw ValidationError("--partial-out writes the state of one input: audit each file to its own part, then calib merge the parts")
        }
        if audit.readsWhole {
            throw ValidationError("--recalibrate and the prior-shift flags fit on every row at once and cannot be merged from parts: audit the whole input, or merge first")
        }
        try PartialOutput.validate(partialOut, output: audit.output, gates: audit.gateOptions, command: "calib audit")
    }
}
