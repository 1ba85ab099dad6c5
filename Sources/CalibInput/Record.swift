#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One record of a table: its fields' bytes (unquoted, unescaped) and the
/// 1-based line it starts on. Reused from row to row, so reading allocates
/// nothing per row once the buffers have grown. The field bounds live in a
/// buffer of their own (no array bookkeeping per field); a copy of a record
/// shares it, so a record is a cursor to reuse, not a value to keep.
struct Record {
    var line = 0
    var bytes: [UInt8] = []
    /// When set, the record was not copied: its fields are ranges from this
    /// pointer into the reader's buffer, valid until the reader's next call.
    var base: UnsafePointer<UInt8>?
    private(set) var fieldCount = 0
    private let bounds = FieldBounds()

    mutating func reset() {
        if !bytes.isEmpty { bytes.removeAll(keepingCapacity: true) }
        fieldCount = 0
        base = nil
    }

    /// Adds a field: `start..<end` in ``bytes``, or from ``base``.
    @inline(__always)
    mutating func appendField(_ start: Int, _ end: Int) {
        if fieldCount == bounds.capacity { bounds.grow() }
        bounds.pointer[2 * fieldCount] = start
        bounds.pointer[2 * fieldCount + 1] = end
        fieldCount += 1
    }

    /// Makes the record `count` empty fields.
    mutating func setEmptyFields(_ count: Int) {
        while bounds.capacity < count { bounds.grow() }
        bounds.pointer.initialize(repeating: 0, count: 2 * count)
        fieldCount = count
    }

    /// Sets field `i` (below ``fieldCount``).
    mutating func setField(_ i: Int, _ range: Range<Int>) {
        precondition(i < fieldCount)
        bounds.pointer[2 * i] = range.lowerBound
        bounds.pointer[2 * i + 1] = range.upperBound
    }

    func withField<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = bounds.pointer[2 * i]
        let count = bounds.pointer[2 * i + 1] - start
        if let base { return try body(UnsafeBufferPointer(start: base + start, count: count)) }
        return try bytes.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[start..<(start + count)]))
        }
    }

    /// The field as text; invalid UTF-8 is shown with replacement characters.
    func string(_ i: Int) -> String {
        withField(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// The field as text, or nil when it is not valid UTF-8.
    func validString(_ i: Int) -> String? {
        withField(i) { bytes in
            // ASCII, the common case, needs no validation.
            if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    /// The field as text for an id or group value: nil when it is not valid
    /// UTF-8 or holds a NUL byte (``containsNUL(_:)`` tells which), in one pass
    /// over ASCII text.
    func textWithoutNUL(_ i: Int) -> String? {
        withField(i) { bytes in
            if !bytes.contains(where: { $0 == 0 || $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            if bytes.contains(0) { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
    }

    /// Whether the field holds a NUL byte (which no field may: see ``RowProblem/nulByte``).
    func containsNUL(_ i: Int) -> Bool {
        withField(i) { $0.count > 0 && memchr($0.baseAddress!, 0, $0.count) != nil }
    }

    func isEmpty(_ i: Int) -> Bool { bounds.pointer[2 * i] == bounds.pointer[2 * i + 1] }
}

/// The start and end of each field of a ``Record``, side by side.
final class FieldBounds {
    private(set) var pointer: UnsafeMutablePointer<Int>
    /// Fields that fit.
    private(set) var capacity: Int

    init() {
        capacity = 16
        pointer = .allocate(capacity: 2 * capacity)
    }

    func grow() {
        let larger = UnsafeMutablePointer<Int>.allocate(capacity: 4 * capacity)
        larger.moveInitialize(from: pointer, count: 2 * capacity)
        pointer.deallocate()
        pointer = larger
        capacity *= 2
    }

    deinit { pointer.deallocate() }
}

/// What a reader hands out next.
enum RecordStatus {
    case record
    /// A record that cannot be split into fields; `--on-invalid skip` may skip it.
    case malformed(line: Int, detail: String)
    case end
}

/// A source of records after the header.
protocol RecordReader: AnyObject {
    var header: [String] { get }
    /// Line breaks consumed so far.
    var linesConsumed: Int { get }
    func next(into record: inout Record) throws -> RecordStatus
    /// The next block of whole records after what was read, or `nil` at the end,
    /// with its ``ByteBlock/firstLine`` and ``ByteBlock/lines`` counted while
    /// cutting; the reader's own line count moves past the block.
    func takeBlock(target: Int) throws -> ByteBlock?
    /// Takes back a block of this reader's that nothing else holds.
    func recycle(_ block: ByteBlock)
}

/// A growable read buffer over a byte source: `storage[position..<filled]` is
/// unread. `refill` keeps the unread bytes and reads more after them. The
/// buffer is allocated by hand, so pointers into it stay valid until the next
/// refill (records point into it rather than copying).
final class BufferedInput {
    let source: any ByteSource
    let name: String
    private(set) var storage: UnsafeMutableBufferPointer<UInt8>
    var position = 0
    var filled = 0
    var atEnd = false
    /// The longest record allowed, in bytes: a guard against a file that is not a table.
    let recordLimit: Int

    init(source: any ByteSource, name: String, blockSize: Int = 1 << 20, recordLimit: Int) {
        self.source = source
        self.name = name
        self.recordLimit = recordLimit
        storage = .allocate(capacity: blockSize)
    }

    /// A block cut by ``takeBlock(target:split:)``, read in place (not copied).
    init(block: ByteBlock, name: String, recordLimit: Int) {
        source = EmptySource()
        self.name = name
        self.recordLimit = recordLimit
        storage = block.storage
        owner = block
        filled = block.count
        atEnd = true
    }

    /// Set when the storage belongs to a block (which frees it).
    private var owner: ByteBlock?

    deinit { if owner == nil { storage.deallocate() } }

    /// The buffer, read-only.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(storage) }

    /// Moves the unread bytes to the front and reads more. Returns false at the end of input.
    /// `line` is reported if the unread part already exceeds the record limit.
    func refill(line: Int) throws -> Bool {
        if atEnd { return false }
        let unread = filled - position
        if unread > recordLimit { throw InputError.recordTooLong(file: name, line: line, limit: recordLimit) }
        if position > 0 {
            if unread > 0 { UnsafeMutableRawPointer(storage.baseAddress!).copyMemory(from: storage.baseAddress! + position, byteCount: unread) }
            position = 0
            filled = unread
        }
        if filled == storage.count {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2 * storage.count)
            larger.baseAddress!.update(from: storage.baseAddress!, count: filled)
            storage.deallocate()
            storage = larger
        }
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(storage)[filled...]))
        if n == 0 { atEnd = true; return false }
        filled += n
        return true
    }

    /// Blocks given back after use, refilled before new ones are allocated (so
    /// their pages are not faulted in again for every block).
    private var spareBlocks: [ByteBlock] = []

    /// Takes back a block nothing else holds, for a later ``takeBlock(target:split:)``.
    func recycle(_ block: ByteBlock) {
        if spareBlocks.count < 16 { spareBlocks.append(block) }
    }

    /// A spare block with room for `capacity` bytes, or a new one.
    private func emptyBlock(capacity: Int) -> ByteBlock {
        if let i = spareBlocks.lastIndex(where: { $0.storage.count >= capacity }) {
            let block = spareBlocks.remove(at: i)
            block.count = 0
            return block
        }
        // Room to spare, so the block can be reused for a slightly longer cut.
        return ByteBlock(capacity: capacity + capacity / 8)
    }

    /// Cuts the next block of whole records, about `target` bytes, from the
    /// unread input. Bytes already buffered go first; after them the source is
    /// read straight into the block, so most bytes are never copied again. The
    /// partial record after the cut goes back in front of the unread bytes.
    /// `split(window, isEnd)` returns the length of the window's whole records
    /// (`nil` when none ends inside it). Returns `nil` at the end of input.
    func takeBlock(target: Int, split: (UnsafeBufferPointer<UInt8>, Bool) -> Int?) throws -> ByteBlock? {
        var want = target
        var block = emptyBlock(capacity: want)
        var count = 0
        while true {
            if position < filled && count < want {
                let n = Swift.min(filled - position, want - count)
                (block.storage.baseAddress! + count).update(from: storage.baseAddress! + position, count: n)
                position += n
                count += n
            }
            while count < want && position == filled && !atEnd {
                let room = UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(block.storage)[count..<want])
                let n = try source.read(into: room)
                if n == 0 { atEnd = true } else { count += n }
            }
            if count == 0 {
                recycle(block)
                return nil
            }
            let isEnd = atEnd && position == filled
            if let cut = split(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(block.storage)[0..<count]), isEnd), cut > 0 {
                putBack(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(block.storage)[cut..<count]))
                block.count = cut
                return block
            }
            if isEnd {
                block.count = count
                return block
            }
            // No record ends in the window: a long record; read on, within the limit.
            if want > recordLimit + target { throw InputError.recordTooLong(file: name, line: nil, limit: recordLimit) }
            want *= 2
            if block.storage.count < want {
                let larger = emptyBlock(capacity: want)
                larger.storage.baseAddress!.update(from: block.storage.baseAddress!, count: count)
                recycle(block)
                block = larger
            }
        }
    }

    /// Puts bytes back in front of the unread ones.
    private func putBack(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = bytes.count
        guard n > 0 else { return }
        if position >= n {
            position -= n
            (storage.baseAddress! + position).update(from: bytes.baseAddress!, count: n)
            return
        }
        let unread = filled - position
        if n + unread > storage.count {
            let larger = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Swift.max(n + unread, 2 * storage.count))
            if unread > 0 { (larger.baseAddress! + n).update(from: storage.baseAddress! + position, count: unread) }
            storage.deallocate()
            storage = larger
        } else if unread > 0 {
            memmove(storage.baseAddress! + n, storage.baseAddress! + position, unread)
        }
        storage.baseAddress!.update(from: bytes.baseAddress!, count: n)
        position = 0
        filled = n + unread
    }

}

/// A block of whole records, read into by the reader and then read in place
/// by one worker. Not changed while shared: the reader refills a
/// block (``BufferedInput/recycle(_:)``) only once nothing else holds it.
final class ByteBlock: @unchecked Sendable {
    /// At least one byte is allocated, so the base address is never nil.
    let storage: UnsafeMutableBufferPointer<UInt8>
    /// Bytes in use, from the start of `storage`; set only by the reader that owns the block.
    var count = 0
    /// The absolute 1-based line of the input the block's first byte is on,
    /// and the lines the block's records take (by the reader's own rule, see
    /// ``RecordReader/takeBlock(target:)``): both set when the block is cut,
    /// so a worker numbers the block's records absolutely.
    var firstLine = 1
    var lines = 0

    init(capacity: Int) {
        storage = .allocate(capacity: Swift.max(1, capacity))
    }

    deinit { storage.deallocate() }
}

/// Counting line feeds, for numbering a block's lines while it is cut (the
/// reading thread cuts every block, so this must be cheap): 64 bytes at a
/// time, each lane's matches summed in a byte for up to 255 steps, then
/// added up (vector compares and subtracts; a popcount per 8-byte word costs
/// several times as much on baseline x86-64, which has no popcnt).
enum LineFeeds {
    static func count(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let n = bytes.count
        let raw = UnsafeRawPointer(base)
        let lineFeed = SIMD64<UInt8>(repeating: 0x0A)
        var total = 0
        var i = 0
        while i + 64 <= n {
            // At most 255 steps, so no lane's count wraps.
            let stop = Swift.min(n - 63, i + 255 * 64)
            var lanes = SIMD64<UInt8>()
            while i < stop {
                let v = raw.loadUnaligned(fromByteOffset: i, as: SIMD64<UInt8>.self)
                // A match is all ones (-1) in its lane.
                lanes &-= unsafeBitCast(v .== lineFeed, to: SIMD64<UInt8>.self)
                i += 64
            }
            total += Int(SIMD64<UInt16>(truncatingIfNeeded: lanes).wrappedSum())
        }
        while i < n {
            if base[i] == 0x0A { total += 1 }
            i += 1
        }
        return total
    }
}
