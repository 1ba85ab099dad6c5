#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to read a table: which columns play which role, and how strict to be (SPEC section 2).
public struct ReadOptions: Sendable, Hashable {
    public enum Format: String, Sendable, Hashable, CaseIterable {
        case csv, tsv, jsonl
    }

    public enum InvalidRowPolicy: String, Sendable, Hashable, CaseIterable {
        /// The first invalid row is an error (exit 65).
        case strict
        /// Invalid rows are skipped, counted by reason and shown in every report.
        case skip
    }

    /// `--label COL`.
    public var label: String?
    /// `--prob COL[,COL…]`: one column (binary) or one per class.
    public var scoreColumns: [String]?
    /// `--target COL[,COL…]`: the soft-target columns (SPEC section 13); by
    /// default the `t_<class>` columns, if any.
    public var targetColumns: [String]?
    /// `--logits`: the score columns hold logits.
    public var logits = false
    /// `--positive NAME` (binary tasks).
    public var positive: String?
    /// `--classes A,B,…`: class names in score-column order; labels may then be 0-based indices.
    public var classes: [String]?
    /// `--weight COL`.
    public var weight: String?
    /// `--id COL`.
    public var id: String?
    /// `--multilabel` (SPEC 13): `y_<label>`/`p_<label>` column pairs, one binary task per label.
    public var multiLabel = false
    /// `--group COL`: a segment column (explicit only).
    public var group: String?
    /// The most distinct segments a group column may have.
    public var segmentLimit = 10_000
    /// The most bytes the segments' sums may take (`--group`). Each segment
    /// keeps an accumulator of O(K² + K·B) bytes (``AuditAccumulator/stateBytes``:
    /// about 3 KiB for 2 classes and 15 bins, 300 KiB for 100 classes), so a
    /// group column may have at most `segmentStateBudget / stateBytes` values
    /// besides ``segmentLimit``; the blocks in flight hold at most as much
    /// again, so segments cost at most about twice this (512 MiB by default).
    public var segmentStateBudget = 256 << 20
    /// `--input-format`; by default from the file name (`.csv`, `.tsv`, `.jsonl`, `.ndjson`, each optionally `.gz`).
    public var format: Format?
    /// `--delimiter`: the field separator for CSV/TSV. When nil, `--input-format`
    /// or a `.tsv`/`.tab` name settles it; otherwise (a `.csv` or other name,
    /// standard input) it is sniffed from the header line: comma, tab,
    /// semicolon or pipe, whichever splits it into the most fields.
    public var delimiter: UInt8?
    public var onInvalid: InvalidRowPolicy = .strict
    /// `--sum-tolerance`: how far per-class probabilities may sum from 1.
    public var sumTolerance = 1e-3
    /// The longest record (line) accepted, in bytes: a guard against files that are not tables.
    public var recordLimit = 1 << 20
    /// The most columns a header may have.
    public var columnLimit = 10_000
    /// The most classes (per-class score columns) a task may have.
    public var classLimit = 1_000
    /// How many example rows each skip reason keeps.
    public var skippedExampleLimit = 5
    /// Rows per chunk handed to the engine.
    public var chunkRows = 8192
    /// Bytes per block of whole records decoded by one worker. The result does
    /// not depend on the thread count; it is fixed by this size.
    public var blockBytes = 2 << 20
    /// Bytes of the first block whose records may settle a binary file's
    /// classes before that block goes to a worker
    /// (`PredictionReader.settleLabels`); 0 leaves the first block to be
    /// decoded in order on the reading thread, as any block is while the
    /// classes are unsettled. The result is the same either way.
    public var labelPrefixBytes = 1 << 16
    /// Workers decoding blocks (`--threads`); by default one per online core.
    public var threads = ReadOptions.onlineCores

    public init() {}

    /// The number of online processors.
    public static var onlineCores: Int { Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
