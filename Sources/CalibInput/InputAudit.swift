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
        let empty = AuditAccumulator(shape: shape, settings: settings, losses: losses)
        var total = empty
        var segments: [String: AuditAccumulator] = [:]
        let segmentCap = reader.boundSegments(bytesEach: total.stateBytes)

        // At most `capacity` blocks are in memory at once; with segments, few
        // enough that their segments' sums (each block's at most the whole
        // cap) stay within the segment budget as well.
        var capacity = 2 * threads + 2
        if options.group != nil {
            let blockSegmentBytes = Swift.max(1, segmentCap * total.stateBytes)
            capacity = Swift.max(1, Swift.min(capacity, options.segmentStateBudget / blockSegmentBytes))
        }
        try reader.streamBlocks(into: Consumer(empty: empty), threads: threads, capacity: capacity, progress: progress) { outcome in
            total.merge(outcome.consumer.total)
            for (name, part) in zip(outcome.decoder!.segmentNames, outcome.consumer.segments) {
                if segments[name] == nil { segments[name] = part } else { segments[name]!.merge(part) }
            }
        }
        try reader.requireRows()
        let summary = reader.summary()
        let names = summary.classes
        return Outcome(
            result: total.result(classNames: names), input: summary,
            segments: reader.segmentNames.compactMap { name in segments[name].map { SegmentAudit(name: name, result: $0.result(classNames: names)) } })
    }

    /// The audit's consumer of a block's rows: one accumulator for all of
    /// them and one per segment (indexed as the block's group values), each
    /// chunk audited by a part of its own and merged in, so that the sums are
    /// the same for any block size and thread count.
    struct Consumer: ChunkConsumer {
        /// An accumulator with no rows, copied for every part.
        let empty: AuditAccumulator
        var total: AuditAccumulator
        var segments: [AuditAccumulator] = []

        init(empty: AuditAccumulator) {
            self.empty = empty
            total = empty
        }

        mutating func consume(_ chunk: PredictionTable, segmentCount: Int) {
            var part = empty
            part.add(chunk)
            total.merge(part)
            if !chunk.groups.isEmpty { addSegments(chunk, count: segmentCount) }
        }

        /// Adds each segment's rows of a chunk to its accumulator (indices are the chunk's group values).
        mutating func addSegments(_ chunk: PredictionTable, count: Int) {
            while segments.count < count { segments.append(empty) }
            var rows = Array(repeating: [Int](), count: segments.count)
            for (i, g) in chunk.groups.enumerated() { rows[Int(g)].append(i) }
            for g in rows.indices where !rows[g].isEmpty {
                var part = empty
                part.add(chunk, rows: rows[g])
                segments[g].merge(part)
            }
        }
    }
}

/// The blocks between the reading thread and the workers: a queue of blocks
/// to decode, served first come first served by `workers` threads of its
/// own, and one result slot per block, taken in input order. Plain threads
/// (not a dispatch queue) so that a worker waiting for work never holds up a
/// shared pool.
final class BlockPipeline<Consumer: ChunkConsumer>: @unchecked Sendable {
    struct Job: Sendable {
        let index: Int
        let block: ByteBlock
        /// The reader's knowledge when the block was cut, frozen.
        let decoder: RowDecoder
        /// The absolute line the block starts on, counted when it was cut.
        var firstLine: Int { block.firstLine }
    }

    private let work: @Sendable (Job) -> BlockOutcome<Consumer>
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let jobReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let resultReady = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    // Guarded by `lock`.
    private var jobs: [Job] = []
    private var results: [Int: BlockOutcome<Consumer>] = [:]
    private var closed = false
    private var threads: [WorkerThread] = []

    init(workers: Int, work: @escaping @Sendable (Job) -> BlockOutcome<Consumer>) {
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
    func result(of index: Int) -> BlockOutcome<Consumer> {
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
