import CalibCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What takes a block's valid rows, chunk by chunk, in a worker: the audit's
/// accumulators (``InputAudit``), and later other consumers of the same
/// pipeline. The caller builds an empty one; each block gets a copy of it,
/// and the caller merges the blocks' consumers in input order.
///
/// The row index is the record's absolute 1-based line number in the input,
/// `chunk.lines[i]`: every block is numbered from the line it starts on,
/// counted while it is cut, so the index is known during accumulation, is the
/// one errors name, and is the same for any thread count and block size
/// (it is not dense: a header, blank lines, skipped rows and quoted line
/// breaks leave gaps).
protocol ChunkConsumer: Sendable {
    /// Takes one chunk of a block's valid rows, in input order. Its group
    /// values index the block's segments, of which there are `segmentCount` so far.
    mutating func consume(_ chunk: PredictionTable, segmentCount: Int)
}

/// What a block's decoding produced, its lines absolute.
struct BlockOutcome<Consumer: ChunkConsumer>: Sendable {
    /// The block's rows, consumed.
    var consumer: Consumer
    var records = 0
    /// Lines the decoder consumed: the next block starts this many lines later.
    var lines = 0
    /// The first invalid row in strict mode (the block stops there).
    var error: InputError?
    /// A frozen decoder met a label that must be resolved in order.
    var needsOrder = false
    var decoder: RowDecoder?
}

extension PredictionReader {
    /// Streams the blocks after what was read through `threads` workers: the
    /// calling thread cuts blocks of whole records (about
    /// `options.blockBytes`), at most `capacity` in flight, while the workers
    /// decode them, each block's rows into a copy of `empty`; `merge` gets
    /// each block's outcome in input order, after the reader has taken in
    /// what its decoder counted. Until the classes are settled, blocks are
    /// decoded in order on the calling thread. `progress` is called after
    /// each block with the rows read so far.
    func streamBlocks<Consumer: ChunkConsumer>(
        into empty: Consumer, threads: Int, capacity: Int, progress: ((Int) -> Void)?,
        merge: (BlockOutcome<Consumer>) throws -> Void
    ) throws {
        // One way to decode a block, for the workers and for the in-order path here.
        let format = self.format
        let shape = self.shape
        let options = self.options
        let decodeBlock: @Sendable (ByteBlock, RowDecoder) -> BlockOutcome<Consumer> = { block, decoder in
            PredictionReader.decodeBlock(block, decoder: decoder, format: format, shape: shape, options: options, into: empty)
        }
        func decode(_ bytes: ByteBlock, frozen: Bool) -> BlockOutcome<Consumer> {
            decodeBlock(bytes, workerDecoder(frozen: frozen))
        }
        // The in-order sum of the decoders' line counts, which checks the lines counted while cutting.
        var lineOffset = linesBeforeBlocks
        func mergeBlock(_ bytes: ByteBlock, _ first: BlockOutcome<Consumer>) throws {
            var outcome = first
            if outcome.needsOrder { outcome = decode(bytes, frozen: false) }
            assert(bytes.firstLine == lineOffset + 1, "a block cut at line \(bytes.firstLine) follows line \(lineOffset)")
            try absorb(outcome.decoder!, records: outcome.records, adoptLabels: !outcome.needsOrder && !labelsSettled)
            if let error = outcome.error { throw error }
            assert(outcome.lines == bytes.lines, "a block at line \(bytes.firstLine) was cut with \(bytes.lines) lines, decoded with \(outcome.lines)")
            try merge(outcome)
            lineOffset += outcome.lines
        }

        // The calling thread cuts blocks and merges results in input order; the
        // workers decode blocks as they come, with no barrier between batches.
        let pipeline = BlockPipeline<Consumer>(workers: threads) { job in decodeBlock(job.block, job.decoder) }
        defer { pipeline.shutDown() }
        var inFlight: [ByteBlock] = []
        var submitted = 0
        var merged = 0
        var ended = false
        func mergeNext() throws {
            var block = inFlight.removeFirst()
            try mergeBlock(block, pipeline.result(of: merged))
            merged += 1
            progress?(rows)
            // A worker may still hold the block for a moment; then it is not reused.
            if isKnownUniquelyReferenced(&block) { recycle(block) }
        }
        while true {
            // Keep the workers fed.
            while !ended && inFlight.count < capacity {
                guard let block = try takeBlock(target: options.blockBytes) else { ended = true; break }
                if !labelsSettled && submitted == 0 && merged == 0 { settleLabels(from: block, into: empty) }
                if labelsSettled {
                    pipeline.submit(BlockPipeline<Consumer>.Job(index: submitted, block: block, decoder: workerDecoder(frozen: true)))
                    inFlight.append(block)
                    submitted += 1
                } else {
                    // Until the classes are settled, blocks are decoded in order here.
                    while !inFlight.isEmpty { try mergeNext() }
                    try mergeBlock(block, decode(block, frozen: false))
                    progress?(rows)
                }
            }
            if inFlight.isEmpty { break }
            try mergeNext()
        }
    }

    /// Settles the classes from the first rows of the input's first block
    /// (its first records within `options.labelPrefixBytes`, decoded on a copy of the
    /// decoder, in order), so that the first block goes to a worker like the
    /// rest instead of being decoded here while the workers wait. Only the
    /// labels are taken in, and only when those rows settle them with no
    /// error: a frozen worker then resolves every label of the block as the
    /// in-order decoder would (a settled resolver learns nothing more), and
    /// anything else (a label to learn, an error) leaves the block to the
    /// in-order path as before. Delimited input only.
    func settleLabels<Consumer: ChunkConsumer>(from block: ByteBlock, into empty: Consumer) {
        let prefixBytes = options.labelPrefixBytes
        guard format != .jsonl, prefixBytes > 0, block.count > 2 * prefixBytes else { return }
        let window = UnsafeBufferPointer(start: block.storage.baseAddress, count: prefixBytes)
        let start = workerDecoder(frozen: false)
        let delimiter = start.options.delimiter ?? (format == .tsv ? 0x09 : 0x2C)
        guard let length = DelimitedReader.wholeRecordsLength(window, delimiter: delimiter, isEnd: false), length > 0 else { return }
        let prefix = ByteBlock(capacity: length)
        prefix.storage.baseAddress!.update(from: block.storage.baseAddress!, count: length)
        prefix.count = length
        prefix.firstLine = block.firstLine
        prefix.lines = DelimitedReader.lineBreaks(UnsafeBufferPointer(start: prefix.storage.baseAddress, count: length))
        let outcome = PredictionReader.decodeBlock(prefix, decoder: start, format: format, shape: shape, options: options, into: empty)
        guard outcome.error == nil, !outcome.needsOrder, let learned = outcome.decoder, learned.labels.isSettled else { return }
        adoptLabels(of: learned)
    }

    /// Decodes one block on the calling thread, its rows into a copy of `empty`;
    /// `fusedRows: false` reads every record by the record path (for tests:
    /// the fused path must not change the outcome).
    static func decodeBlock<Consumer: ChunkConsumer>(
        _ bytes: ByteBlock, decoder start: RowDecoder, format: ReadOptions.Format, shape: ClassificationShape,
        options: ReadOptions, into empty: Consumer, fusedRows: Bool = true
    ) -> BlockOutcome<Consumer> {
        if format == .jsonl {
            let reader = JSONLinesReader(block: bytes, name: start.file, header: start.header, recordLimit: options.recordLimit)
            return decodeRecords(of: reader, firstLine: bytes.firstLine, decoder: start, shape: shape, options: options, into: empty)
        }
        // The decoder's options hold the delimiter the header was read with.
        let reader = DelimitedReader(block: bytes, name: start.file, delimiter: start.options.delimiter ?? (format == .tsv ? 0x09 : 0x2C), recordLimit: options.recordLimit)
        return decodeRecords(of: reader, firstLine: bytes.firstLine, decoder: start, shape: shape, options: options, into: empty,
                             fusedRows: fusedRows)
    }

    /// Decodes every record of a block's reader into a copy of `empty`
    /// (generic over both, so the reader's and the consumer's calls are direct).
    private static func decodeRecords<Reader: RecordReader, Consumer: ChunkConsumer>(
        of reader: Reader, firstLine: Int, decoder start: RowDecoder, shape: ClassificationShape,
        options: ReadOptions, into empty: Consumer, fusedRows: Bool = true
    ) -> BlockOutcome<Consumer> {
        var decoder = start
        var outcome = BlockOutcome(consumer: empty)
        var chunk = PredictionTable(shape: shape, reservingCapacity: Swift.min(options.chunkRows, 1 << 14))
        let rows = decoder.makeRows(capacity: options.chunkRows, shape: shape)
        var record = Record()
        func flush() {
            guard !rows.isEmpty else { return }
            rows.move(into: &chunk)
            outcome.consumer.consume(chunk, segmentCount: decoder.segmentNames.count)
        }
        // Plain CSV rows are read by the fused path; any other record, and a
        // plain row that path does not keep, by the record path. The fused path is
        // dropped for a block whose rows it keeps failing to take.
        let plainReader = fusedRows ? reader as? DelimitedReader : nil
        var plan = plainReader.flatMap { decoder.plainRowPlan(delimiter: $0.delimiter) }
        var recordPathRows = 0
        do {
            loop: while true {
                if let plan, let plainReader {
                    let kept = plainReader.decodePlainRows(plan, decoder: &decoder, into: rows)
                    outcome.records += kept
                    if rows.isFull { flush(); continue }
                }
                switch try reader.next(into: &record) {
                case .end: break loop
                case let .malformed(line, detail):
                    outcome.records += 1
                    try decoder.reject(.malformedRecord(detail), line: line, column: nil, value: nil)
                case .record:
                    outcome.records += 1
                    try decoder.decode(record, into: rows)
                    if rows.isFull { flush() }
                }
                recordPathRows += 1
                if recordPathRows > 64 && recordPathRows * 8 > outcome.records { plan = nil }
            }
            flush()
        } catch is NeedsOrder {
            outcome.needsOrder = true
        } catch let error as InputError {
            outcome.error = error
        } catch {
            outcome.error = InputError(.data, file: decoder.file, reason: "\(error)")
        }
        // The reader counts from the block's first line.
        outcome.lines = reader.linesConsumed - (firstLine - 1)
        outcome.decoder = decoder
        return outcome
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

/// Runs tasks `0..<count` on `threads` threads (the caller's among them),
/// each thread taking the next task until none is left; returns when all
/// have run. The ranking's runner (`RankingRunner`).
func runConcurrently(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard threads > 1 && count > 1 else {
        for task in 0..<count { body(task) }
        return
    }
    final class Counter: @unchecked Sendable {
        private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        private var next = 0
        init() { pthread_mutex_init(lock, nil) }
        deinit { pthread_mutex_destroy(lock); lock.deallocate() }
        func take() -> Int {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            next += 1
            return next - 1
        }
    }
    let counter = Counter()
    let work: @Sendable () -> Void = {
        while true {
            let task = counter.take()
            guard task < count else { return }
            body(task)
        }
    }
    let helpers = (1..<Swift.min(threads, count)).compactMap { _ in WorkerThread(work) }
    work()
    for helper in helpers { helper.join() }
}
