public import CalibCore

/// One segment's audit (`--group COL`).
public struct SegmentAudit: Sendable {
    /// The value of the group column.
    public let name: String
    public let result: AuditResult
}

/// Streams one input through the engine: each chunk is audited by its own
/// accumulator and merged in input order, so the result does not depend on
/// chunk scheduling. Memory stays at one chunk plus the accumulators (one per
/// segment with `--group`).
public enum InputAudit {
    public struct Outcome: Sendable {
        public let result: AuditResult
        public let input: InputSummary
        /// Per segment, in the order the segments first appear (empty without `--group`).
        public let segments: [SegmentAudit]
    }

    public static func run(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        ranking: RankingSettings? = nil,
        bootstrap: BootstrapSettings? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> (result: AuditResult, input: InputSummary) {
        let outcome = try audit(location, options: options, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap, progress: progress)
        return (outcome.result, outcome.input)
    }

    /// The audit with its segments. The input is cut into blocks of whole
    /// records (about 2 MiB) on the calling thread while `options.threads`
    /// workers decode and audit the blocks already cut, at most
    /// `2 × threads + 2` at a time; blocks merge in input order, so the result
    /// is the same for any number of threads. `progress` is called after each
    /// block with the rows read so far. With `ranking`, the whole input's
    /// result has the ranking section (segments do not: their scores are not kept);
    /// with `bootstrap`, its intervals (each row's bootstrap counts keyed by its line).
    /// With `shift` (SPEC 12's `--train-prior`/`--deploy-prior`/`--negative-sampling`),
    /// every row's scores are adjusted by it, in their own kind, before they are audited.
    public static func audit(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        ranking: RankingSettings? = nil,
        bootstrap: BootstrapSettings? = nil,
        shift: PriorShift? = nil,
        progress: ((Int) -> Void)? = nil
    ) throws -> Outcome {
        try accumulate(location, options: options, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap,
                       shift: shift, progress: progress).finish(threads: options.threads)
    }

    /// The sums of an audit before they are finished: the whole input's
    /// accumulator, each segment's in first-appearance order, and the input's
    /// summary. What a partial state (SPEC section 14) holds, and what
    /// ``finish(threads:)`` turns into an ``Outcome``.
    public struct Accumulated: Sendable {
        public var total: AuditAccumulator
        public var segments: [(name: String, accumulator: AuditAccumulator)]
        public var input: InputSummary

        public init(total: AuditAccumulator, segments: [(name: String, accumulator: AuditAccumulator)], input: InputSummary) {
            self.total = total
            self.segments = segments
            self.input = input
        }

        /// Names `source` as the input of every worst row (of the total and
        /// of each segment) that names none.
        public mutating func attributeWorstRows(to source: String) {
            total.attributeWorstRows(to: source)
            for i in segments.indices { segments[i].accumulator.attributeWorstRows(to: source) }
        }

        /// The results, the ranking run on `threads` threads (the same for any count).
        public func finish(threads: Int) -> Outcome {
            var total = total
            let names = input.classes
            let threads = Swift.max(1, threads)
            return Outcome(
                result: total.finish(classNames: names) { count, body in runConcurrently(count, threads: threads, body) }, input: input,
                segments: segments.map { SegmentAudit(name: $0.name, result: $0.accumulator.result(classNames: names)) })
        }
    }

    /// ``audit(_:options:settings:losses:ranking:bootstrap:shift:progress:)``'s
    /// sums, unfinished. `rowOffset` keys each row's bootstrap counts as line
    /// `line + rowOffset` (`--row-offset`).
    public static func accumulate(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        ranking: RankingSettings? = nil,
        bootstrap: BootstrapSettings? = nil,
        shift: PriorShift? = nil,
        rowOffset: Int = 0,
        progress: ((Int) -> Void)? = nil
    ) throws -> Accumulated {
        let reader = try PredictionReader(location: location, options: options)
        let shape = reader.shape
        let threads = Swift.max(1, options.threads)
        // Segments keep no score store: only the whole input is ranked.
        let emptySegment = AuditAccumulator(shape: shape, settings: settings, losses: losses)
        var total = AuditAccumulator(shape: shape, settings: settings, losses: losses, ranking: ranking, bootstrap: bootstrap)
        total.bootstrapRowOffset = rowOffset
        var segments: [String: AuditAccumulator] = [:]
        let segmentCap = reader.boundSegments(bytesEach: emptySegment.stateBytes)

        // At most `capacity` blocks are in memory at once; with segments, few
        // enough that their segments' sums (each block's at most the whole
        // cap) stay within the segment budget as well.
        var capacity = 2 * threads + 2
        if options.group != nil {
            let blockSegmentBytes = Swift.max(1, segmentCap * emptySegment.stateBytes)
            capacity = Swift.max(1, Swift.min(capacity, options.segmentStateBudget / blockSegmentBytes))
        }
        try reader.streamBlocks(into: Consumer(empty: total, emptySegment: emptySegment, shift: shift), threads: threads, capacity: capacity, progress: progress) { outcome in
            total.merge(outcome.consumer.total)
            for (name, part) in zip(outcome.decoder!.segmentNames, outcome.consumer.segments) {
                if segments[name] == nil { segments[name] = part } else { segments[name]!.merge(part) }
            }
        }
        try reader.requireRows()
        return Accumulated(total: total, segments: reader.segmentNames.compactMap { name in segments[name].map { (name, $0) } },
                           input: reader.summary())
    }

    /// The audit's consumer of a block's rows: one accumulator for all of
    /// them and one per segment (indexed as the block's group values), each
    /// chunk audited by a part of its own and merged in, so that the sums are
    /// the same for any block size and thread count.
    struct Consumer: ChunkConsumer {
        /// An accumulator with no rows, copied for every part of the whole.
        let empty: AuditAccumulator
        /// The same for every part of a segment (without a score store).
        let emptySegment: AuditAccumulator
        var total: AuditAccumulator
        var segments: [AuditAccumulator] = []
        /// Applied to every row's scores before they are added (`nil`: audited as read).
        let shift: PriorShift?

        init(empty: AuditAccumulator, emptySegment: AuditAccumulator, shift: PriorShift? = nil) {
            self.empty = empty
            self.emptySegment = emptySegment
            self.shift = shift
            total = empty
        }

        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) {
            guard let shift else { return add(chunk, segmentCount: segmentCount) }
            add(shift.adjusted(chunk), segmentCount: segmentCount)
        }

        mutating func add(_ chunk: PredictionTable, segmentCount: Int) {
            // Straight into the block's total: a chunk's plain sums fold into the
            // compensated totals as a merged part's would, and the bootstrap's
            // grids are not allocated again for every chunk.
            total.add(chunk)
            if !chunk.groups.isEmpty { addSegments(chunk, count: segmentCount) }
        }

        /// Adds each segment's rows of a chunk to its accumulator (indices are the chunk's group values).
        mutating func addSegments(_ chunk: PredictionTable, count: Int) {
            while segments.count < count { segments.append(emptySegment) }
            var rows = Array(repeating: [Int](), count: segments.count)
            for (i, g) in chunk.groups.enumerated() { rows[Int(g)].append(i) }
            for g in rows.indices where !rows[g].isEmpty {
                var part = emptySegment
                part.add(chunk, rows: rows[g])
                segments[g].merge(part)
            }
        }
    }
}

extension PriorShift {
    /// `table` with every row's scores adjusted, in their own kind
    /// (`apply(_:kind:into:)` row by row); labels, weights, lines, ids and groups as they are.
    public func adjusted(_ table: PredictionTable) -> PredictionTable {
        let per = table.shape.scoresPerRow
        let kind = table.shape.scoreKind
        guard !isIdentity else { return table }
        var scores = table.scores
        table.scores.withUnsafeBufferPointer { source in
            scores.withUnsafeMutableBufferPointer { out in
                for start in Swift.stride(from: 0, to: source.count, by: per) {
                    apply(UnsafeBufferPointer(rebasing: source[start..<(start + per)]), kind: kind,
                          into: UnsafeMutableBufferPointer(rebasing: out[start..<(start + per)]))
                }
            }
        }
        var result = PredictionTable(shape: table.shape, reservingCapacity: table.count)
        table.labels.withUnsafeBufferPointer { labels in
            scores.withUnsafeBufferPointer { scores in
                table.weights.withUnsafeBufferPointer { weights in
                    table.lines.withUnsafeBufferPointer { lines in
                        let ids = table.ids.isEmpty || table.ids.count == table.count ? table.ids : table.ids + Array(repeating: "", count: table.count - table.ids.count)
                        table.targets.withUnsafeBufferPointer { targets in
                            result.append(validatedLabels: labels, scores: scores, weights: weights, lines: lines, ids: ids, groups: table.groups,
                                          targets: targets)
                        }
                    }
                }
            }
        }
        return result
    }
}
