public import CalibCore

/// Streams one input through the engine: each chunk is audited by its own
/// accumulator and merged in input order, so the result does not depend on
/// chunk scheduling. Memory stays at one chunk plus the accumulators.
public enum InputAudit {
    public static func run(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults
    ) throws -> (result: AuditResult, input: InputSummary) {
        let reader = try PredictionReader(location: location, options: options)
        var total = AuditAccumulator(shape: reader.shape, settings: settings, losses: losses)
        var chunk = PredictionTable(shape: reader.shape, reservingCapacity: options.chunkRows)
        while try reader.nextChunk(into: &chunk) {
            var part = AuditAccumulator(shape: reader.shape, settings: settings, losses: losses)
            part.add(chunk)
            total.merge(part)
        }
        try reader.requireRows()
        let summary = reader.summary()
        return (total.result(classNames: summary.classes), summary)
    }
}
