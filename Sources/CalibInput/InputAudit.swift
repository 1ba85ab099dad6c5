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
        progress: ((Int) -> Void)? = nil
    ) throws -> (result: AuditResult, input: InputSummary) {
        let outcome = try audit(location, options: options, settings: settings, losses: losses, progress: progress)
        return (outcome.result, outcome.input)
    }

    /// The audit with its segments. `progress` is called after each chunk with the rows read so far.
    public static func audit(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        progress: ((Int) -> Void)? = nil
    ) throws -> Outcome {
        let reader = try PredictionReader(location: location, options: options)
        let shape = reader.shape
        var total = AuditAccumulator(shape: shape, settings: settings, losses: losses)
        var segments: [AuditAccumulator] = []
        var segmentRows: [[Int]] = []
        var chunk = PredictionTable(shape: shape, reservingCapacity: options.chunkRows)
        while try reader.nextChunk(into: &chunk) {
            var part = AuditAccumulator(shape: shape, settings: settings, losses: losses)
            part.add(chunk)
            total.merge(part)
            if !chunk.groups.isEmpty {
                while segments.count < reader.segmentNames.count {
                    segments.append(AuditAccumulator(shape: shape, settings: settings, losses: losses))
                    segmentRows.append([])
                }
                for g in segmentRows.indices { segmentRows[g].removeAll(keepingCapacity: true) }
                for (i, g) in chunk.groups.enumerated() { segmentRows[Int(g)].append(i) }
                for g in segmentRows.indices where !segmentRows[g].isEmpty {
                    var segmentPart = AuditAccumulator(shape: shape, settings: settings, losses: losses)
                    segmentPart.add(chunk, rows: segmentRows[g])
                    segments[g].merge(segmentPart)
                }
            }
            progress?(reader.rows)
        }
        try reader.requireRows()
        let summary = reader.summary()
        let names = summary.classes
        return Outcome(
            result: total.result(classNames: names), input: summary,
            segments: zip(reader.segmentNames, segments).map { SegmentAudit(name: $0, result: $1.result(classNames: names)) })
    }
}
