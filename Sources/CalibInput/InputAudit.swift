public import CalibCore
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
    /// workers decode and audit the blocks already cut, at most
    /// `2 × threads + 2` at a time; blocks merge in input order, so the result
    /// is the same for any number of threads. `progress` is called after each
    /// block with the rows read so far.
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
        let segmentCap = reader.boundSegments(bytesEach: total.stateBytes)
        var lineOffset = reader.linesBeforeBlocks

        // One way to decode a block, for the workers and for the in-order path here.
        let format = reader.format
        let decodeBlock: @Sendable (ByteBlock, RowDecoder) -> BlockOutcome = { block, decoder in
            PredictionReader.decodeBlock(block, decoder: decoder, format: format, shape: shape,
                                         settings: settings, losses: losses, options: options)
        }
        func decode(_ bytes: ByteBlock, frozen: Bool) -> BlockOutcome {
            decodeBlock(bytes, reader.workerDecoder(frozen: frozen))
        }
        func merge(_ bytes: ByteBlock, _ first: BlockOutcome) throws {
            var outcome = first
            if outcome.needsOrder { outcome = decode(bytes, frozen: false) }
            try reader.absorb(outcome.decoder!, records: outcome.records, lineOffset: lineOffset, adoptLabels: !outcome.needsOrder && !reader.labelsSettled)
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

        // The calling thread cuts blocks and merges results in input order; the
        // workers decode and audit blocks as they come, with no barrier between
        // batches. At most `capacity` blocks are in memory at once; with
        // segments, few enough that their segments' sums (each block's at most
        // the whole cap) stay within the segment budget as well.
        var capacity = 2 * threads + 2
        if options.group != nil {
            let blockSegmentBytes = Swift.max(1, segmentCap * total.stateBytes)
            capacity = Swift.max(1, Swift.min(capacity, options.segmentStateBudget / blockSegmentBytes))
        }
        let pipeline = BlockPipeline(workers: threads) { job in decodeBlock(job.block, job.decoder) }
        defer { pipeline.shutDown() }
        var inFlight: [ByteBlock] = []
        var submitted = 0
        var merged = 0
        var ended = false
        func mergeNext() throws {
            var block = inFlight.removeFirst()
            try merge(block, pipeline.result(of: merged))
            merged += 1
            progress?(reader.rows)
            // A worker may still hold the block for a moment; then it is not reused.
            if isKnownUniquelyReferenced(&block) { reader.recycle(block) }
        }
        while true {
            // Keep the workers fed.
            while !ended && inFlight.count < capacity {
                guard let block = try reader.takeBlock(target: options.blockBytes) else { ended = true; break }
                if reader.labelsSettled {
                    pipeline.submit(BlockPipeline.Job(index: submitted, block: block, decoder: reader.workerDecoder(frozen: true)))
                    inFlight.append(block)
                    submitted += 1
                } else {
                    // Until the classes are settled, blocks are decoded in order here.
                    while !inFlight.isEmpty { try mergeNext() }
                    try merge(block, decode(block, frozen: false))
                    progress?(reader.rows)
                }
            }
            if inFlight.isEmpty { break }
            try mergeNext()
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

/// The blocks between the reading thread and the workers: a queue of blocks
/// to decode, served first come first served by `workers` threads of its
/// own, and one result slot per block, taken in input order. Plain threads
/// (not a dispatch queue) so that a worker waiting for work never holds up a
/// shared pool.
final class BlockPipeline: @unchecked Sendable {
    struct Job: Sendable {
        let index: Int
        let block: ByteBlock
        /// The reader's knowledge when the block was cut, frozen.
        let decoder: RowDecoder
    }

    private let work: @Sendable (Job) -> BlockOutcome
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let jobReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `lock`.
    private var jobs: [Job] = []
    private var results: [Int: BlockOutcome] = [:]
    private var closed = false
    private var threads: [WorkerThread] = []

    init(workers: Int, work: @escaping @Sendable (Job) -> BlockOutcome) {
        self.work = work
        pthread_mutex_init(lock, nil)
        pthread_cond_init(jobReady, nil)
        pthread_cond_init(resultReady, nil)
        threads = (0..<workers).compactMap { _ in WorkerThread { [unowned self] in self.serve() } }
    }

    deinit {
        pthread_cond_destroy(jobReady)
        pthread_cond_destroy(resultReady)
        pthread_mutex_destroy(lock)
        jobReady.deallocate()
        resultReady.deallocate()
        lock.deallocate()
    }

    /// Queues a block for the next free worker.
    func submit(_ job: Job) {
        if threads.isEmpty {
            // No thread could be started: decode here, in order.
            let outcome = work(job)
            pthread_mutex_lock(lock)
            results[job.index] = outcome
            pthread_mutex_unlock(lock)
            return
        }
        pthread_mutex_lock(lock)
        jobs.append(job)
        pthread_cond_signal(jobReady)
        pthread_mutex_unlock(lock)
    }

    /// Waits for block `index`'s outcome and takes it.
    func result(of index: Int) -> BlockOutcome {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        while true {
            if let outcome = results.removeValue(forKey: index) { return outcome }
            pthread_cond_wait(resultReady, lock)
        }
    }

    /// Stops the workers (queued blocks are dropped) and waits for them to exit.
    func shutDown() {
        pthread_mutex_lock(lock)
        closed = true
        jobs.removeAll()
        pthread_cond_broadcast(jobReady)
        pthread_mutex_unlock(lock)
        for thread in threads { thread.join() }
        threads.removeAll()
    }

    /// A worker's loop: take the oldest queued block, decode it, post the result.
    private func serve() {
        pthread_mutex_lock(lock)
        while true {
            if !jobs.isEmpty {
                // At most a few blocks wait, so taking the first is cheap.
                let job = jobs.removeFirst()
                pthread_mutex_unlock(lock)
                let outcome = work(job)
                pthread_mutex_lock(lock)
                results[job.index] = outcome
                pthread_cond_broadcast(resultReady)
            } else if closed {
                break
            } else {
                pthread_cond_wait(jobReady, lock)
            }
        }
        pthread_mutex_unlock(lock)
    }
}

/// One POSIX thread running a closure; `join()` waits for it to return.
final class WorkerThread: @unchecked Sendable {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    #if canImport(Glibc)
    private var thread = pthread_t()
    #else
    private var thread: pthread_t?
    #endif
    private var joined = false

    /// Starts the thread; `nil` when the system refuses one.
    init?(_ run: @escaping () -> Void) {
        let context = Unmanaged.passRetained(Body(run)).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            #if canImport(Glibc)
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            #else
            let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
            #endif
            body.run()
            return nil
        }, context)
        if status != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            return nil
        }
    }

    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Glibc)
        pthread_join(thread, nil)
        #else
        pthread_join(thread!, nil)
        #endif
    }
}
