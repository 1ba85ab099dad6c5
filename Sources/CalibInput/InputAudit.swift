public import CalibCore
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

    /// The audit with its segments. The input is cut into blocks of whole
    /// records (about 2 MiB) on the calling thread while `options.threads`
    /// workers decode and audit the previous batch; blocks merge in input
    /// order, so the result is the same for any number of threads. `progress`
    /// is called after each batch with the rows read so far.
    public static func audit(
        _ location: InputLocation,
        options: ReadOptions = ReadOptions(),
        settings: AuditSettings = AuditSettings(),
        losses: [LossSpecification] = LossSpecification.auditDefaults,
        progress: ((Int) -> Void)? = nil
    ) throws -> Outcome {
        let reader = try PredictionReader(location: location, options: options)
        let shape = reader.shape
        let threads = Swift.max(1, options.threads)
        var total = AuditAccumulator(shape: shape, settings: settings, losses: losses)
        var segments: [String: AuditAccumulator] = [:]
        var lineOffset = reader.linesBeforeBlocks

        func decode(_ bytes: [UInt8], frozen: Bool) -> BlockOutcome {
            PredictionReader.decodeBlock(bytes, decoder: reader.workerDecoder(frozen: frozen), format: reader.format,
                                         shape: shape, settings: settings, losses: losses, options: options)
        }
        func merge(_ bytes: [UInt8], _ first: BlockOutcome) throws {
            var outcome = first
            if outcome.needsOrder { outcome = decode(bytes, frozen: false) }
            reader.absorb(outcome.decoder!, records: outcome.records, lineOffset: lineOffset, adoptLabels: !outcome.needsOrder && !reader.labelsSettled)
            if let error = outcome.error { throw error.shiftingLine(by: lineOffset) }
            var accumulator = outcome.accumulator
            accumulator.shiftLines(by: lineOffset)
            total.merge(accumulator)
            for (name, var part) in outcome.segments {
                part.shiftLines(by: lineOffset)
                if segments[name] == nil { segments[name] = part } else { segments[name]!.merge(part) }
            }
            lineOffset += outcome.lines
        }

        let blockSize = options.blockBytes
        var pending: (blocks: [[UInt8]], results: BlockResults, group: DispatchGroup)?
        while true {
            // Cut the next batch while the previous one is decoded.
            var batch: [[UInt8]] = []
            while batch.count < 2 * threads, let block = try reader.takeBlock(target: blockSize) { batch.append(block) }
            if let (blocks, results, group) = pending {
                group.wait()
                for (i, bytes) in blocks.enumerated() { try merge(bytes, results.take(i)) }
                pending = nil
                progress?(reader.rows)
            }
            if batch.isEmpty { break }
            // Until the classes are settled, blocks are decoded in order here.
            var start = 0
            while start < batch.count && !reader.labelsSettled {
                try merge(batch[start], decode(batch[start], frozen: false))
                start += 1
            }
            let rest = Array(batch[start...])
            if rest.isEmpty { continue }
            let results = BlockResults(count: rest.count)
            let group = DispatchGroup()
            let workers = Swift.min(threads, rest.count)
            let decoders = (0..<workers).map { _ in reader.workerDecoder(frozen: true) }
            let job = BlockJob(blocks: rest, format: reader.format, shape: shape, settings: settings, losses: losses, options: options)
            for w in 0..<workers {
                let decoder = decoders[w]
                DispatchQueue.global().async(group: group) {
                    // Each worker claims the next undecoded block, so none idles while another works.
                    while let i = results.claim() {
                        results.put(i, PredictionReader.decodeBlock(job.blocks[i], decoder: decoder, format: job.format, shape: job.shape,
                                                                    settings: job.settings, losses: job.losses, options: job.options))
                    }
                }
            }
            pending = (rest, results, group)
        }
        try reader.requireRows()
        let summary = reader.summary()
        let names = summary.classes
        return Outcome(
            result: total.result(classNames: names), input: summary,
            segments: reader.segmentNames.compactMap { name in segments[name].map { SegmentAudit(name: name, result: $0.result(classNames: names)) } })
    }

    /// Adds each segment's rows of a chunk to its accumulator (indices are the chunk's group values).
    static func addSegments(_ chunk: PredictionTable, to segments: inout [AuditAccumulator], count: Int, settings: AuditSettings, losses: [LossSpecification]) {
        while segments.count < count { segments.append(AuditAccumulator(shape: chunk.shape, settings: settings, losses: losses)) }
        var rows = Array(repeating: [Int](), count: segments.count)
        for (i, g) in chunk.groups.enumerated() { rows[Int(g)].append(i) }
        for g in rows.indices where !rows[g].isEmpty {
            var part = AuditAccumulator(shape: chunk.shape, settings: settings, losses: losses)
            part.add(chunk, rows: rows[g])
            segments[g].merge(part)
        }
    }
}

/// What every worker of a batch shares, read-only.
struct BlockJob: Sendable {
    let blocks: [[UInt8]]
    let format: ReadOptions.Format
    let shape: ClassificationShape
    let settings: AuditSettings
    let losses: [LossSpecification]
    let options: ReadOptions
}

/// One slot per block, each written by exactly one worker before the batch's
/// group is waited on, and read only after; blocks are handed out by a
/// counter under a mutex.
final class BlockResults: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<BlockOutcome?>
    private let count: Int
    private var next = 0
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    /// The index of the next block to decode, or `nil` when all are taken.
    func claim() -> Int? {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }

    func put(_ i: Int, _ outcome: BlockOutcome) { slots[i] = outcome }
    func take(_ i: Int) -> BlockOutcome {
        let outcome = slots[i]!
        slots[i] = nil
        return outcome
    }
}
