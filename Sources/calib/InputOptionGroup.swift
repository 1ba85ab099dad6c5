public import ArgumentParser
import CalibCore
import CalibInput
import CalibReport

/// Options that say how to read the input: columns, classes, strictness, format
/// (both subcommands). Values that may look like options (`--positive -1`,
/// `--bins -1`) are taken as values, so that they get a precise message.
struct InputOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Label column (default: label, y, y_true, target, class or actual).", valueName: "col"))
    var label: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Score column, or one per class separated by commas (default: prob, score, p_<class>, …).", valueName: "col[,col…]"))
    var prob: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Soft-target columns, one per class in class order (default: t_<class>); their argmax is the hard label when there is no label column.", valueName: "col[,col…]"))
    var target: String?

    @Flag(help: "The score columns hold logits, not probabilities (implied by logit, logit_<class>).")
    var logits = false

    @Option(parsing: .unconditional, help: ArgumentHelp("The positive class of a binary task.", valueName: "name"))
    var positive: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Class names in score-column order; labels may then be 0-based indices.", valueName: "a,b,…"))
    var classes: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Sample-weight column (default: weight or sample_weight).", valueName: "col"))
    var weight: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Row-id column shown beside line numbers (default: id or row_id).", valueName: "col"))
    var id: String?

    @Option(help: ArgumentHelp("What to do with an invalid row: stop with an error, or skip it and report it.", valueName: "strict|skip"))
    var onInvalid: ReadOptions.InvalidRowPolicy = .strict

    @Option(parsing: .unconditional, help: ArgumentHelp("How far per-class probabilities may sum from 1.", valueName: "x"))
    var sumTolerance: String = "0.001"

    @Option(help: ArgumentHelp("Input format (default: from the file name; csv for standard input).", valueName: "csv|tsv|jsonl"))
    var inputFormat: ReadOptions.Format?

    @Option(parsing: .unconditional, help: ArgumentHelp("Field separator for CSV/TSV: comma, tab, semicolon, pipe, or any one ASCII character (default: tab for .tsv/.tab or --input-format tsv, comma for --input-format csv, otherwise sniffed from the header).", valueName: "comma|tab|semicolon|pipe|char"))
    var delimiter: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Worker threads (default: one per core). Results are identical for any number.", valueName: "n"))
    var threads: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The name standard input (-) goes by in messages, worst rows and reports (default: <stdin>), e.g. the file piped in.", valueName: "name"))
    var stdinName: String?

    @Option(parsing: .unconditional, help: ArgumentHelp(visibility: .hidden))
    var blockBytes: String?

    func validate() throws {
        _ = try readOptions()
        _ = try standardInputName()
    }

    /// The `--stdin-name` value, if any: a name of 1 to 4096 bytes with no scalar that may not reach an
    /// output raw (`TextEscaping.isHostile`: control characters, bidi overrides, line separators, noncharacters).
    func standardInputName() throws -> String? {
        guard let stdinName else { return nil }
        guard !stdinName.isEmpty, stdinName.utf8.count <= 4096, !stdinName.unicodeScalars.contains(where: TextEscaping.isHostile) else {
            throw optionError("--stdin-name", stdinName, "must be a name of 1 to 4096 bytes with no control character, bidi override or line separator")
        }
        return stdinName
    }

    /// The input a file argument names: `-` is standard input, under the `--stdin-name` name if given.
    func location(_ argument: String) throws -> InputLocation {
        InputLocation(argument: argument, standardInputName: try standardInputName())
    }

    /// The options as ``ReadOptions``; throws the usage error of the first bad value.
    func readOptions() throws -> ReadOptions {
        var o = ReadOptions()
        o.label = try label.map { try OptionValue.name($0, flag: "--label", what: "column") }
        o.scoreColumns = try prob.map { try OptionValue.names($0, flag: "--prob", what: "column", minimum: 1) }
        o.targetColumns = try target.map { try OptionValue.names($0, flag: "--target", what: "column", minimum: 1) }
        o.logits = logits
        o.positive = try positive.map { try OptionValue.name($0, flag: "--positive", what: "class") }
        o.classes = try classes.map { try OptionValue.names($0, flag: "--classes", what: "class", minimum: 2) }
        o.weight = try weight.map { try OptionValue.name($0, flag: "--weight", what: "column") }
        o.id = try id.map { try OptionValue.name($0, flag: "--id", what: "column") }
        o.format = inputFormat
        o.delimiter = try delimiter.map(Self.delimiterByte)
        o.onInvalid = onInvalid
        o.sumTolerance = try OptionValue.number(sumTolerance, flag: "--sum-tolerance", in: 0...Double.greatestFiniteMagnitude)
        if let threads { o.threads = try OptionValue.wholeNumber(threads, flag: "--threads", in: 1...256) }
        if let blockBytes { o.blockBytes = try OptionValue.wholeNumber(blockBytes, flag: "--block-bytes", in: 16...(1 << 30)) }
        return o
    }

    /// The byte a `--delimiter` value names: a name, or one ASCII character
    /// other than a quote, a line break or NUL (`\t` written out is a tab).
    static func delimiterByte(_ text: String) throws -> UInt8 {
        switch text.lowercased() {
        case "tab", "\\t", "\t": return 0x09
        case "comma": return 0x2C
        case "semicolon": return 0x3B
        case "pipe": return 0x7C
        default:
            guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80, byte != 0x22, byte != 0x0A, byte != 0x0D, byte != 0 else {
                throw optionError("--delimiter", text, "must be comma, tab, semicolon, pipe or one ASCII character other than a quote or a line break")
            }
            return byte
        }
    }
}

/// Options of the metrics of `calib audit` only: segments, the decision
/// threshold, the reliability bins and the confident-error level.
struct MetricOptionGroup: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Segment column: every metric is also computed per value of it (country, merchant, source).", valueName: "col"))
    var group: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Binary decision threshold: a score at or above it predicts the positive class.", valueName: "x"))
    var threshold: String = "0.5"

    @Option(parsing: .unconditional, help: ArgumentHelp("Number of equal-width reliability bins, 1 to 10000.", valueName: "n"))
    var bins: String = "15"

    @Option(parsing: .unconditional, help: ArgumentHelp("Top-label confidence at which a wrong prediction counts as a confident error.", valueName: "x"))
    var confidentAt: String = "0.9"

    func validate() throws {
        _ = try settings()
        _ = try segmentColumn()
    }

    /// The metric settings; throws the usage error of the first bad value.
    func settings() throws -> AuditSettings {
        AuditSettings(bins: try OptionValue.wholeNumber(bins, flag: "--bins", in: 1...10_000),
                      threshold: try OptionValue.number(threshold, flag: "--threshold", in: 0...1),
                      confidentAt: try OptionValue.number(confidentAt, flag: "--confident-at", in: 0...1))
    }

    /// The `--group` column, if any.
    func segmentColumn() throws -> String? {
        try group.map { try OptionValue.name($0, flag: "--group", what: "column") }
    }
}

extension ReadOptions.InvalidRowPolicy: ExpressibleByArgument {}
extension ReadOptions.Format: ExpressibleByArgument {}
