public import CalibCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One part of a distributed audit (SPEC section 14): the unfinished sums of
/// `calib audit FILE --partial-out PART` (the whole input's accumulator with
/// its score store and bootstrap replicates, each segment's accumulator),
/// the input's summary (source, format, rows, skipped rows by reason with
/// their examples' lines, classes, positive class and why, column roles) and
/// the tool version, in the ``PartialStateFormat`` container.
///
/// Sections: `tool` (the calib version that wrote it), `input` (the summary),
/// `targets` (whether rows carry soft targets, their columns, and whether the
/// hard labels are their argmax; a part without it has no soft targets),
/// `audit` (the whole input's accumulator), `segments` (each segment's name
/// and accumulator, in first-appearance order), `row-offset` (the
/// `--row-offset` the part was audited with; informative).
///
/// Merging (``merge(_:)``) adds another part after this one: counts and sums
/// add, score stores append, segments merge by name, skipped rows keep each
/// part's own file and line. Parts whose settings, classes, score kind or
/// columns differ are refused with the first difference (exit 64).
public struct PartialPart: Sendable {
    public var tool: String
    public var rowOffset: Int
    public var audit: InputAudit.Accumulated

    public init(tool: String, rowOffset: Int, audit: InputAudit.Accumulated) {
        self.tool = tool
        self.rowOffset = rowOffset
        self.audit = audit
    }

    /// The part's bytes, its score store's and bootstrap's arrays where they
    /// lie (not copied): write them with ``EncodedPart/forEachSegment(_:)``.
    public func encodedPart() -> EncodedPart {
        var body = PartialStateFormat.begin()
        Self.reserve(audit.segments.reduce(audit.total.stateBytes) { $0 + $1.accumulator.stateBytes }, in: &body)
        Self.writeStamp(of: self, into: &body)
        body.section("input") { Self.write(audit.input, &$0) }
        body.section("targets") { Self.writeTargets(audit.input, &$0) }
        body.section("audit") { audit.total.writePartial(&$0) }
        body.section("segments") { w in
            w.int(audit.segments.count)
            for (name, accumulator) in audit.segments {
                w.string(name)
                accumulator.writePartial(&w)
            }
        }
        return PartialStateFormat.sealed(body)
    }

    /// The part `bytes` hold; `file` names it in the error (exit 65) when
    /// they are not a part, are truncated, corrupted, of a future version, or
    /// hold sections that do not fit together.
    public init(decoding bytes: [UInt8], file: String) throws(InputError) {
        do throws(PartialStateFormat.Problem) {
            self = try PartialPart(sections: try PartialStateFormat.unwrap(bytes))
        } catch {
            throw InputError(.data, file: file, reason: "\(error)", hint: Self.hint(error))
        }
    }

    /// The part that `sections` (of a container already checked) hold.
    init(sections: [String: PartialReader]) throws(PartialStateFormat.Problem) {
        func section(_ name: String) throws(PartialStateFormat.Problem) -> PartialReader { try Self.section(name, of: sections) }
        (tool, rowOffset) = try Self.readStamp(sections)
        var r = try section("input")
        var targets = sections["targets"]
        let input = try Self.readInput(&r, targets: &targets)
        try r.requireEnd("the input section")
        try targets?.requireEnd("the targets section")
        r = try section("audit")
        let total = try AuditAccumulator(readingPartial: &r)
        try r.requireEnd("the audit section")
        guard total.shape == input.shape, input.classes.count == input.shape.classCount, total.count == input.rows else {
            throw .malformed("the audit does not fit the input's classes or rows")
        }
        r = try section("segments")
        var segments: [(name: String, accumulator: AuditAccumulator)] = []
        let count = try r.length()
        for _ in 0..<count {
            let name = try r.string()
            let segment = try AuditAccumulator(readingPartial: &r)
            // A segment sums as the total does, with no score store and no replicates of its own.
            guard segment.mismatch(with: total) == nil, segment.rankingSettings == nil, segment.bootstrapSettings == nil,
                  !segments.contains(where: { $0.name == name }) else {
                throw .malformed("segment \(InputError.quoted(name)) does not fit the audit")
            }
            segments.append((name, segment))
        }
        try r.requireEnd("the segments section")
        audit = InputAudit.Accumulated(total: total, segments: segments, input: input)
    }

    /// Room for what a part whose accumulators hold `stateBytes` copies into
    /// its writer's buffer (large arrays stay where they lie: a sixteenth of
    /// them is ample, with 1 MB for names, counts and worst rows' texts), so
    /// that the buffer seldom grows (each growth copies it whole).
    static func reserve(_ stateBytes: Int, in writer: inout PartialWriter) {
        writer.reserveCapacity(stateBytes / 16 + (1 << 20))
    }

    static func hint(_ problem: PartialStateFormat.Problem) -> String? {
        switch problem {
        case .notAPart: "calib merge reads the files calib audit --partial-out writes"
        case .truncated, .trailingBytes, .checksum: "write the part again with calib audit --partial-out"
        case .futureVersion, .malformed: nil
        }
    }

    /// The first way `other` (named `otherName`) differs from this part
    /// (named `name`) in what it sums: settings, classes, score kind, column
    /// roles. A usage error (exit 64) naming both parts and the difference.
    public func mismatch(with other: PartialPart, name: String, otherName: String) -> InputError? {
        let refuse = Self.refusal(name: name, otherName: otherName)
        // Another calib may compute a value differently: its sums do not add to this one's.
        if tool != other.tool { return refuse("the calib version", tool, other.tool) }
        let a = audit.input, b = other.audit.input
        let unseen = a.classes.count == b.classes.count && a.classes.last == b.classes.last && (negativeUnseen || other.negativeUnseen)
        if a.classes != b.classes && !unseen {
            return refuse("classes", "[\(a.classes.joined(separator: ", "))]", "[\(b.classes.joined(separator: ", "))]")
        }
        let columns: [(String, String?, String?)] = [
            ("label column", a.labelColumn, b.labelColumn),
            ("score columns", a.scoreColumns.joined(separator: ","), b.scoreColumns.joined(separator: ",")),
            ("weight column", a.weightColumn, b.weightColumn),
            ("id column", a.idColumn, b.idColumn),
            ("group column", a.groupColumn, b.groupColumn),
            ("target columns", a.targetColumns.isEmpty ? nil : a.targetColumns.joined(separator: ","),
             b.targetColumns.isEmpty ? nil : b.targetColumns.joined(separator: ",")),
        ]
        if let (what, mine, theirs) = columns.first(where: { $0.1 != $0.2 }) { return refuse(what, mine ?? "none", theirs ?? "none") }
        return audit.total.partialMismatch(with: other.audit.total).map { Self.refusal($0, refuse) }
    }

    /// The refusal (exit 64) of part `otherName` after part `name`: what differs, its value in `name`, its value in `otherName`.
    static func refusal(name: String, otherName: String) -> (_ what: String, _ mine: String, _ theirs: String) -> InputError {
        { what, mine, theirs in
            InputError(.usage, file: otherName, reason: "part \(InputError.quoted(otherName)) has \(what) \(theirs), \(InputError.quoted(name)) has \(mine)",
                       hint: "merge only parts audited with the same settings and columns")
        }
    }

    /// The refusal of an engine's ``MergeMismatch``, through `refuse` (``refusal(name:otherName:)``).
    static func refusal(_ m: MergeMismatch, _ refuse: (String, String, String) -> InputError) -> InputError {
        switch m {
        case let .setting(setting, expected, found): refuse(setting, expected, found)
        case let .classCount(expected, found): refuse("classes", "\(expected)", "\(found)")
        case let .scoreKind(expected, found): refuse("scores of kind", expected.rawValue, found.rawValue)
        case let .losses(expected, found): refuse("losses", expected.joined(separator: ", "), found.joined(separator: ", "))
        }
    }

    /// Adds `other`'s rows after this part's (check ``mismatch(with:name:otherName:)`` first).
    public mutating func merge(_ other: PartialPart) {
        // A binary part that never met a negative label (`--positive` named the positive class)
        // takes the other part's name for it, as the single audit would have.
        let classes = negativeUnseen ? other.audit.input.classes : audit.input.classes
        // Worst rows keep their own part's source and line.
        var other = other
        audit.attributeWorstRows(to: audit.input.source)
        other.audit.attributeWorstRows(to: other.audit.input.source)
        audit.total.merge(other.audit.total)
        for (name, segment) in other.audit.segments {
            if let i = audit.segments.firstIndex(where: { $0.name == name }) {
                audit.segments[i].accumulator.merge(segment)
            } else {
                audit.segments.append((name, segment))
            }
        }
        let a = audit.input, b = other.audit.input
        var skipped = a.skipped
        skipped.merge(b.skipped)
        audit.input = InputSummary(
            source: Self.mergedSource(a.source, b.source), format: a.format, rows: a.rows + b.rows,
            skipped: skipped, classes: classes, shape: a.shape, positiveClassReason: a.positiveClassReason, weighted: a.weighted,
            labelColumn: a.labelColumn, scoreColumns: a.scoreColumns, weightColumn: a.weightColumn, idColumn: a.idColumn, groupColumn: a.groupColumn)
        audit.input.targetColumns = a.targetColumns
        audit.input.labelsFromTargets = a.labelsFromTargets
    }

    /// The source of merged parts: `a`'s, then `b` when it is not among them yet.
    static func mergedSource(_ a: String, _ b: String) -> String {
        a.split(separator: ", ").contains(Substring(b)) ? a : a + ", " + b
    }

    /// Whether this is a binary part whose negative class was never met: its
    /// name is the placeholder `not <positive>` and no row has label 0 (the
    /// class totals' `n_0`). Such a part merges with any part of the same
    /// positive class and takes that part's negative name.
    var negativeUnseen: Bool {
        let input = audit.input
        guard input.shape.task == .binary, input.classes[0] == "not \(input.classes[1])" else { return false }
        guard let totals = AuditAccumulator.State.familyNames.firstIndex(of: "classTotals") else { return false }
        return audit.total.state.families[totals].counts.first == 0
    }

    // MARK: - The input summary

    /// The section `name` of a part's `sections`; a part without it is malformed.
    static func section(_ name: String, of sections: [String: PartialReader]) throws(PartialStateFormat.Problem) -> PartialReader {
        guard let reader = sections[name] else { throw .malformed("no \(name) section") }
        return reader
    }

    /// The sections every kind of part starts with: the calib version that
    /// wrote it and its row offset.
    static func writeStamp(of part: some MergeablePart, into body: inout PartialWriter) {
        body.section("tool") { $0.string(part.tool) }
        body.section("row-offset") { $0.int(part.rowOffset) }
    }

    /// The calib version and row offset of a part (see `writeStamp(of:into:)`).
    static func readStamp(_ sections: [String: PartialReader]) throws(PartialStateFormat.Problem) -> (tool: String, rowOffset: Int) {
        var r = try section("tool", of: sections)
        let tool = try r.string()
        r = try section("row-offset", of: sections)
        return (tool, try r.int())
    }

    static func write(_ input: InputSummary, _ w: inout PartialWriter) {
        w.string(input.source)
        w.string(input.format.rawValue)
        w.int(input.rows)
        writeSkipped(input.skipped, &w)
        w.strings(input.classes)
        w.int(input.shape.classCount)
        w.string(input.shape.scoreKind.rawValue)
        w.optionalString(input.positiveClassReason)
        w.bool(input.weighted)
        w.string(input.labelColumn)
        w.strings(input.scoreColumns)
        w.optionalString(input.weightColumn)
        w.optionalString(input.idColumn)
        w.optionalString(input.groupColumn)
    }

    /// The skipped rows: example limit, total, and each reason with its count and examples (their errors whole).
    static func writeSkipped(_ skipped: SkippedRows, _ w: inout PartialWriter) {
        w.int(skipped.exampleLimit)
        w.int(skipped.total)
        w.int(skipped.reasons.count)
        for reason in skipped.reasons {
            w.string(reason.code)
            w.int(reason.count)
            w.int(reason.examples.count)
            for example in reason.examples {
                let e = example.error
                w.int(example.line)
                w.optionalString(example.column)
                w.optionalString(example.value)
                w.string(example.message)
                w.u8(e.kind == .usage ? 0 : e.kind == .data ? 1 : 2)
                w.string(e.file)
                w.optionalInt(e.line)
                w.optionalString(e.column)
                w.optionalString(e.value)
                w.string(e.reason)
                w.optionalString(e.hint)
            }
        }
    }

    /// The soft-target fields of the summary (SPEC section 13), in their own
    /// section so that a part written before they travelled still reads.
    static func writeTargets(_ input: InputSummary, _ w: inout PartialWriter) {
        w.bool(input.shape.hasSoftTargets)
        w.strings(input.targetColumns)
        w.bool(input.labelsFromTargets)
    }

    /// The summary ``write(_:_:)`` wrote, with the soft-target fields
    /// ``writeTargets(_:_:)`` wrote in `targets` (none without that section).
    static func readInput(_ r: inout PartialReader, targets: inout PartialReader?) throws(PartialStateFormat.Problem) -> InputSummary {
        let source = try r.string()
        guard let format = ReadOptions.Format(rawValue: try r.string()) else { throw .malformed("an unknown input format") }
        let rows = try r.int()
        guard rows >= 1 else { throw .malformed("an input of \(rows) rows") }
        let skipped = try readSkipped(&r)
        let classes = try r.strings()
        let classCount = try r.int()
        guard classCount >= 2, classCount == classes.count, let kind = ScoreKind(rawValue: try r.string()) else { throw .malformed("the classes") }
        let positiveClassReason = try r.optionalString(), weighted = try r.bool(), labelColumn = try r.string(), scoreColumns = try r.strings()
        let weightColumn = try r.optionalString(), idColumn = try r.optionalString(), groupColumn = try r.optionalString()
        var soft = false, targetColumns: [String] = [], fromTargets = false
        if targets != nil {
            soft = try targets!.bool()
            targetColumns = try targets!.strings()
            fromTargets = try targets!.bool()
            guard soft == !targetColumns.isEmpty, !fromTargets || soft, !soft || targetColumns.count == classCount else {
                throw .malformed("soft targets in columns [\(targetColumns.joined(separator: ", "))] for \(classCount) classes")
            }
        }
        var input = InputSummary(
            source: source, format: format, rows: rows, skipped: skipped, classes: classes,
            shape: ClassificationShape(classCount: classCount, scoreKind: kind, softTargets: soft), positiveClassReason: positiveClassReason,
            weighted: weighted, labelColumn: labelColumn, scoreColumns: scoreColumns, weightColumn: weightColumn,
            idColumn: idColumn, groupColumn: groupColumn)
        input.targetColumns = targetColumns
        input.labelsFromTargets = fromTargets
        return input
    }

    /// The skipped rows ``writeSkipped(_:_:)`` wrote.
    static func readSkipped(_ r: inout PartialReader) throws(PartialStateFormat.Problem) -> SkippedRows {
        let limit = try r.int()
        guard limit >= 0 else { throw .malformed("an example limit of \(limit)") }
        var skipped = SkippedRows(exampleLimit: limit)
        skipped.total = try r.int()
        guard skipped.total.magnitude <= PartialStateFormat.countLimit else { throw .malformed("\(skipped.total) skipped rows") }
        let reasons = try r.length()
        var counted = 0
        for _ in 0..<reasons {
            let code = try r.string()
            let count = try r.int()
            guard count.magnitude <= PartialStateFormat.countLimit else { throw .malformed("\(count) skipped rows") }
            let exampleCount = try r.length()
            var examples: [SkippedRows.Example] = []
            for _ in 0..<exampleCount {
                let line = try r.int(), column = try r.optionalString(), value = try r.optionalString(), message = try r.string()
                let kinds: [InputError.Kind] = [.usage, .data, .noInput]
                let kind = Int(try r.u8())
                guard kind < kinds.count else { throw .malformed("an unknown error kind") }
                let error = InputError(kinds[kind], file: try r.string(), line: try r.optionalInt(), column: try r.optionalString(), value: try r.optionalString(),
                                       reason: try r.string(), hint: try r.optionalString())
                examples.append(SkippedRows.Example(line: line, column: column, value: value, message: message, error: error))
            }
            guard count >= 1, examples.count <= count, !skipped.reasons.contains(where: { $0.code == code }) else { throw .malformed("skipped rows of reason \(code)") }
            skipped.add(code: code, count: count, examples: examples)
            counted += count
        }
        guard counted == skipped.total else { throw .malformed("\(skipped.total) skipped rows counted as \(counted)") }
        return skipped
    }
}

/// A part's file read for `calib merge`: a regular file is mapped
/// read-only (``MappedFiles``; a file truncated while mapped ends the run
/// with exit 65 naming it), or, when it cannot be, read into one allocation
/// the size of the file (`fstat`) by `read(2)`; either way with no copy
/// after (the format's reader takes its values from there). A file that is
/// not a regular one (a pipe), or that grows while it is read, is read in chunks.
public enum PartialFile {
    /// Why a part's file could not be read: `reason` names it (`calib merge`
    /// exits 66), or, for a file whose size is not the one its header states
    /// (told before its bytes are read), the damage as an input error naming
    /// the file (exit 65, as `AnyPartialPart(decoding:file:)` reports it).
    public struct Failure: Error, Sendable {
        public let reason: String
        public var damaged: InputError?

        init(reason: String, damaged: InputError? = nil) {
            self.reason = reason
            self.damaged = damaged
        }
    }

    /// The error of a mapped part that shrinks while calib reads it (exit 65).
    public static func changedWhileRead(_ path: String) -> InputError {
        InputError(.data, file: path, reason: "the part changed while calib read it (another program truncated or rewrote it)")
    }

    /// The bytes of the part at `path`; a regular file is mapped, and a
    /// `SIGBUS` in it prints `truncatedMessage` (by default `calib: error: `
    /// and ``changedWhileRead(_:)``) and exits 65.
    public static func read(_ path: String, truncatedMessage: String? = nil) throws(Failure) -> PartialBytes {
        let what = "the part \(InputError.quoted(path))"
        func failure(_ code: Int32) -> Failure { Failure(reason: "cannot read \(what): \(FileDescriptorSource.errorText(code))") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno) }
        defer { close(fd) }
        var info = stat()
        let known = fstat(fd, &info) == 0
        if known && (info.st_mode & S_IFMT) == S_IFDIR { throw Failure(reason: "cannot read \(what): it is a directory") }
        if known && (info.st_mode & S_IFMT) == S_IFREG && info.st_size > 0 {
            let size = Int(info.st_size)
            try checkHeader(fd, size: size, path: path)
            if let mapping = MappedFiles.map(fd, size: size, message: truncatedMessage ?? "calib: error: \(changedWhileRead(path))") {
                return PartialBytes(mapping.raw) { _ in mapping.unmap() }
            }
            if let whole = try readWhole(fd, size: size, failure) { return whole }
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            if n == 0 { return PartialBytes(copying: bytes[...]) }
            bytes += chunk[..<n]
        }
    }

    /// Refuses a regular file of `size` bytes whose header (its first 20
    /// bytes) is not a part's or states another size, before any buffer of
    /// `size` bytes exists: a huge or sparse file named as a part is an error
    /// (exit 65), not an allocation of its size. A file shorter than a header
    /// is left to the decoder.
    static func checkHeader(_ fd: Int32, size: Int, path: String) throws(Failure) {
        var header = [UInt8](repeating: 0, count: 20)
        var got = 0
        while got < header.count {
            let n = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, $0.count - got, off_t(got)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        guard got == header.count else { return }
        func damaged(_ problem: PartialStateFormat.Problem) -> Failure {
            Failure(reason: "\(problem)", damaged: InputError(.data, file: path, reason: "\(problem)", hint: PartialPart.hint(problem)))
        }
        let outcome = header.withUnsafeBytes { raw in
            Result { () throws(PartialStateFormat.Problem) in try PartialStateFormat.statedSize(raw, of: size).bytes }
        }
        let stated: Int
        switch outcome {
        case let .success(bytes): stated = bytes
        case let .failure(problem): throw damaged(problem)
        }
        if size < stated { throw damaged(.truncated(expected: stated, found: size)) }
        if size > stated { throw damaged(.trailingBytes(expected: stated, found: size)) }
    }

    /// The `size` bytes of a regular file in one allocation (fewer when it
    /// shrank); `nil` when it turns out longer (it grew since `fstat`) and
    /// nothing was read yet. A size the machine cannot allocate is a failure, not a trap.
    static func readWhole(_ fd: Int32, size: Int, _ failure: (Int32) -> Failure) throws(Failure) -> PartialBytes? {
        // One byte more than the file's size shows whether it grew.
        guard size < Int.max, let memory = malloc(size + 1) else {
            throw Failure(reason: "cannot read the part: its \(size) bytes do not fit in memory")
        }
        let buffer = UnsafeMutableRawBufferPointer(start: memory, count: size + 1)
        var filled = 0
        while filled <= size {
            let n = systemRead(fd, buffer.baseAddress! + filled, size + 1 - filled)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                free(memory)
                throw failure(code)
            }
            if n == 0 { break }
            filled += n
        }
        if filled > size {
            free(memory)
            guard lseek(fd, 0, SEEK_SET) == 0 else { throw failure(errno) }
            return nil
        }
        return PartialBytes(UnsafeRawBufferPointer(rebasing: buffer[..<filled])) { free(UnsafeMutableRawPointer(mutating: $0.baseAddress)) }
    }

    /// `read(2)`, which a method named `read` hides.
    static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }
}
