public import ArgumentParser
import CalibCore
import CalibInput

/// Options that say how to read the input and which settings the metrics use.
struct InputOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("Label column (default: label, y, y_true, target, class or actual).", valueName: "col"))
    var label: String?

    @Option(help: ArgumentHelp("Score column, or one per class separated by commas (default: prob, score, p_<class>, …).", valueName: "col[,col…]"))
    var prob: String?

    @Flag(help: "The score columns hold logits, not probabilities (implied by logit, logit_<class>).")
    var logits = false

    @Option(help: ArgumentHelp("The positive class of a binary task.", valueName: "name"))
    var positive: String?

    @Option(help: ArgumentHelp("Class names in score-column order; labels may then be 0-based indices.", valueName: "a,b,…"))
    var classes: String?

    @Option(help: ArgumentHelp("Sample-weight column (default: weight or sample_weight).", valueName: "col"))
    var weight: String?

    @Option(help: ArgumentHelp("Row-id column shown beside line numbers (default: id or row_id).", valueName: "col"))
    var id: String?

    @Option(help: ArgumentHelp("Segment column: every metric is also computed per value of it (country, merchant, source).", valueName: "col"))
    var group: String?

    @Option(help: "Binary decision threshold: a score at or above it predicts the positive class.")
    var threshold: Double = 0.5

    @Option(help: "Number of equal-width reliability bins.")
    var bins: Int = 15

    @Option(help: "Top-label confidence at which a wrong prediction counts as a confident error.")
    var confidentAt: Double = 0.9

    @Option(help: ArgumentHelp("What to do with an invalid row: stop with an error, or skip it and report it.", valueName: "strict|skip"))
    var onInvalid: ReadOptions.InvalidRowPolicy = .strict

    @Option(help: "How far per-class probabilities may sum from 1.")
    var sumTolerance: Double = 1e-3

    @Option(help: ArgumentHelp("Input format (default: from the file name; csv for standard input).", valueName: "csv|tsv|jsonl"))
    var inputFormat: ReadOptions.Format?

    @Option(help: ArgumentHelp("Field separator for CSV/TSV: a single character, or 'tab'.", valueName: "char"))
    var delimiter: String?

    @Option(help: ArgumentHelp("Worker threads (default: one per core). Results are identical for any number.", valueName: "n"))
    var threads: Int?

    @Option(help: ArgumentHelp(visibility: .hidden))
    var blockBytes: Int?

    func validate() throws {
        guard bins >= 1 && bins <= 10_000 else { throw ValidationError("--bins must be between 1 and 10000, not \(bins).") }
        guard threshold >= 0 && threshold <= 1 else { throw ValidationError("--threshold must be between 0 and 1, not \(threshold).") }
        guard confidentAt >= 0 && confidentAt <= 1 else { throw ValidationError("--confident-at must be between 0 and 1, not \(confidentAt).") }
        guard sumTolerance >= 0 && sumTolerance.isFinite else { throw ValidationError("--sum-tolerance must be a finite number at least 0.") }
        if let delimiter { _ = try delimiterByte(delimiter) }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be between 1 and 256, not \(threads).") }
        if let blockBytes, blockBytes < 16 { throw ValidationError("--block-bytes must be at least 16.") }
        if let prob, splitList(prob).isEmpty { throw ValidationError("--prob needs at least one column name.") }
        if let classes, splitList(classes).count < 2 { throw ValidationError("--classes needs at least two class names separated by commas.") }
    }

    var readOptions: ReadOptions {
        var o = ReadOptions()
        o.label = label
        o.scoreColumns = prob.map(splitList)
        o.logits = logits
        o.positive = positive
        o.classes = classes.map(splitList)
        o.weight = weight
        o.id = id
        o.group = group
        o.format = inputFormat
        o.delimiter = delimiter.flatMap { try? delimiterByte($0) }
        o.onInvalid = onInvalid
        o.sumTolerance = sumTolerance
        if let threads { o.threads = threads }
        if let blockBytes { o.blockBytes = blockBytes }
        return o
    }

    var settings: AuditSettings {
        AuditSettings(bins: bins, threshold: threshold, confidentAt: confidentAt)
    }

    private func splitList(_ text: String) -> [String] {
        text.split(separator: ",", omittingEmptySubsequences: true).map { String($0).trimmingSpacesAndTabs() }.filter { !$0.isEmpty }
    }

    private func delimiterByte(_ text: String) throws -> UInt8 {
        switch text.lowercased() {
        case "tab", "\\t", "\t": return 0x09
        case "comma": return 0x2C
        case "semicolon": return 0x3B
        default:
            guard text.utf8.count == 1, let byte = text.utf8.first, byte != 0x22, byte != 0x0A, byte != 0x0D else {
                throw ValidationError("--delimiter must be one ASCII character (or 'tab'), not \"\(text)\".")
            }
            return byte
        }
    }
}

extension ReadOptions.InvalidRowPolicy: ExpressibleByArgument {}
extension ReadOptions.Format: ExpressibleByArgument {}
