/// The byte format of a partial state (SPEC section 14): a self-describing,
/// versioned container of named sections, little-endian, every Double kept
/// as its 64-bit pattern.
///
/// Layout: the magic `CALIBPRT` (8 bytes), the format version (`UInt32`),
/// the body's length in bytes (`UInt64`), the body, and the body's checksum
/// (`UInt64`): since version 4 ``fnv1a64Lanes(_:)``, FNV-1a 64's step on the
/// body's 64-bit little-endian words in four interleaved lanes (four
/// independent multiplications in flight: a part of hundreds of MB hashes at
/// the speed of memory); versions 2 and 3 ``fnv1a64Words(_:)`` (one lane);
/// version 1 hashed bytes (``fnv1a64(_:)``). The body is a run of sections, each its
/// name (`Int64` byte count + UTF-8), its payload length (`UInt64`) and its
/// payload; readers look sections up by name and skip names they do not
/// know. Version 3 keeps the bootstrap grid sparse (the slots rows reached);
/// versions 1 and 2, still read, kept it dense (every reader gets the part's
/// ``PartialReader/version``). Version 5 changed how the bootstrap's counts
/// are drawn (``PoissonCounts``): the replicates of a part of version 4 or
/// older merge with other such parts only (``BootstrapSettings/draws``). A file shorter or longer than its stated length is truncated (or
/// has trailing bytes); a body whose hash differs is corrupted.
public enum PartialStateFormat {
    /// The first 8 bytes of every part.
    public static let magic: [UInt8] = Array("CALIBPRT".utf8)
    /// The version this build writes and the newest it reads (it reads 1 to 4 too).
    public static let version: UInt32 = 5
    /// The largest count (rows, lines, bins, skipped rows) a part may hold: the
    /// sum of thousands of such counts still fits an `Int`.
    public static let countLimit: UInt = 1 << 52
    /// Bytes before the body: magic, version, length.
    static let headerBytes = 8 + 4 + 8

    /// Why bytes are not a part this build can read. `description` says what
    /// is wrong without the file's name (the caller adds it).
    public enum Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The bytes do not start with ``PartialStateFormat/magic``.
        case notAPart
        /// Written by a newer calib (a format version above ``PartialStateFormat/version``).
        case futureVersion(UInt32)
        /// Fewer bytes than the header states.
        case truncated(expected: Int, found: Int)
        /// More bytes than the header states.
        case trailingBytes(expected: Int, found: Int)
        /// The body's hash differs from the stored one.
        case checksum
        /// A section is missing or its contents do not parse.
        case malformed(String)

        public var description: String {
            switch self {
            case .notAPart: "not a calib partial state (no CALIBPRT magic at its start)"
            case let .futureVersion(v): "written in partial-state format version \(v); this calib reads version \(PartialStateFormat.version) and older: use a newer calib"
            case let .truncated(expected, found): "truncated: \(found) bytes of the \(expected) its header states"
            case let .trailingBytes(expected, found): "\(found) bytes where its header states \(expected)"
            case .checksum: "corrupted: its checksum does not match its contents"
            case let .malformed(what): "malformed: \(what)"
            }
        }
    }

    /// FNV-1a 64 of `bytes`: `h = (h ⊕ b) · 0x100000001b3` from `0xcbf29ce484222325`.
    public static func fnv1a64(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// The checksum of format version 2: FNV-1a 64's step `h = (h ⊕ w) · 0x100000001b3`
    /// from `0xcbf29ce484222325` on each 64-bit little-endian word `w` of
    /// `bytes` (the last one zero-padded), then on the byte count, so that
    /// trailing zero bytes change it.
    public static func fnv1a64Words(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        let prime: UInt64 = 0x0000_0100_0000_01b3
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let whole = bytes.count / 8
        for i in 0..<whole {
            h = (h ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) &* prime
        }
        if whole * 8 < bytes.count {
            var last: UInt64 = 0
            for (shift, b) in bytes[(whole * 8)...].enumerated() { last |= UInt64(b) << (8 * shift) }
            h = (h ^ last) &* prime
        }
        return (h ^ UInt64(bytes.count)) &* prime
    }

    /// The checksum of format versions 4 and 5: FNV-1a 64's step `h = (h ⊕ w) · 0x100000001b3`
    /// in four lanes, each from `0xcbf29ce484222325`, word `i` of `bytes`
    /// (64-bit little-endian, the last one zero-padded) going to lane `i mod 4`;
    /// then the same step from `0xcbf29ce484222325` on the four lanes in
    /// order and on the byte count. Each lane's chain waits on its own
    /// multiplication only, so four run at once (``fnv1a64Words(_:)`` runs one).
    public static func fnv1a64Lanes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = LaneChecksum()
        hash.add(bytes)
        return hash.value
    }

    /// The checksum of `body` in format `version`.
    static func checksum(_ body: UnsafeRawBufferPointer, version: UInt32) -> UInt64 {
        switch version {
        case 1: fnv1a64(body)
        case 2, 3: fnv1a64Words(body)
        default: fnv1a64Lanes(body)
        }
    }

    /// The whole part: header, `body`, checksum.
    public static func wrap(_ body: PartialWriter) -> [UInt8] {
        var out = begin()
        out.buffer += body.bytes
        return finish(&out)
    }

    /// A writer holding the header, its length still 0: write the sections
    /// into it, then ``sealed(_:)`` or ``finish(_:)``. It keeps large arrays (the score
    /// store's keys, the bootstrap's grids) by reference rather than copying
    /// them: a part of hundreds of MB goes to its file from where its values lie.
    public static func begin() -> PartialWriter {
        var out = PartialWriter(keepingArrays: true)
        out.buffer += magic
        out.u32(version)
        out.u64(0)
        return out
    }

    /// The part ``begin()``'s writer holds: its body's length set and its
    /// checksum appended, its bytes still where they lie.
    public static func sealed(_ out: PartialWriter) -> EncodedPart {
        var out = out
        let length = UInt64(out.count - headerBytes).littleEndian
        withUnsafeBytes(of: length) { raw in
            for (i, b) in raw.enumerated() { out.buffer[12 + i] = b }
        }
        var hash = LaneChecksum()
        out.forEachSegment(from: headerBytes) { hash.add($0) }
        out.u64(hash.value)
        return EncodedPart(writer: out)
    }

    /// The part ``begin()``'s writer holds, as one array (``sealed(_:)``'s bytes).
    public static func finish(_ out: inout PartialWriter) -> [UInt8] {
        sealed(out).bytes
    }

    /// The format version and the whole size in bytes (header, body and
    /// checksum) that a part's `header` (its first bytes, up to 20: magic,
    /// version, body length) states, for a part of `found` bytes; a header
    /// that is not a part's, of a newer version, cut short or stating an
    /// impossible length is refused as `unwrap` refuses it. `calib merge`
    /// checks a file's size against it before reading the file.
    public static func statedSize(_ header: UnsafeRawBufferPointer, of found: Int) throws(Problem) -> (version: UInt32, bytes: Int) {
        guard header.count >= 8, magic.withUnsafeBytes({ $0.elementsEqual(header[0..<8]) }) else { throw .notAPart }
        guard header.count >= 12 else { throw .truncated(expected: headerBytes + 8, found: found) }
        let v = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard v <= version, v >= 1 else { throw .futureVersion(v) }
        guard header.count >= headerBytes else { throw .truncated(expected: headerBytes + 8, found: found) }
        let length = UInt64(littleEndian: header.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
        guard length <= UInt64(Int.max - 64) else { throw .truncated(expected: headerBytes + 8, found: found) }
        return (v, headerBytes + Int(length) + 8)
    }

    /// The sections of a part, after checking its magic, version, length and
    /// checksum (its readers read a copy of `bytes`; a file read by
    /// `calib merge` is not copied: it goes to the overload taking ``PartialBytes``).
    public static func unwrap(_ bytes: [UInt8]) throws(Problem) -> [String: PartialReader] {
        try unwrap(PartialBytes(copying: bytes[...]))
    }

    /// The sections of the part `bytes` hold (read from a file once, no copy
    /// made), after checking its magic, version, length and checksum.
    public static func unwrap(_ bytes: PartialBytes) throws(Problem) -> [String: PartialReader] {
        let (v, expected) = try statedSize(UnsafeRawBufferPointer(rebasing: bytes.raw[0..<Swift.min(bytes.count, headerBytes)]), of: bytes.count)
        let length = expected - headerBytes - 8
        if bytes.count < expected { throw .truncated(expected: expected, found: bytes.count) }
        if bytes.count > expected { throw .trailingBytes(expected: expected, found: bytes.count) }
        let body = headerBytes..<(headerBytes + Int(length))
        let stored = UInt64(littleEndian: bytes.raw.loadUnaligned(fromByteOffset: expected - 8, as: UInt64.self))
        guard checksum(UnsafeRawBufferPointer(rebasing: bytes.raw[body]), version: v) == stored else { throw .checksum }
        var reader = PartialReader(bytes, range: body, version: v)
        var sections: [String: PartialReader] = [:]
        while !reader.isAtEnd {
            let name = try reader.string()
            let size = try reader.length()
            sections[name] = try reader.slice(size)
        }
        return sections
    }
}

/// Format 4's checksum (`PartialStateFormat.fnv1a64Lanes(_:)`) over bytes given in
/// any number of pieces: the same value however the bytes are cut.
struct LaneChecksum {
    static let basis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3
    var lanes: (UInt64, UInt64, UInt64, UInt64) = (basis, basis, basis, basis)
    /// Whole words hashed so far (the next one goes to lane `words mod 4`).
    var words = 0
    /// The bytes of a word not yet whole, and how many.
    var carry: UInt64 = 0
    var carried = 0
    var count = 0

    mutating func word(_ w: UInt64) {
        switch words & 3 {
        case 0: lanes.0 = (lanes.0 ^ w) &* Self.prime
        case 1: lanes.1 = (lanes.1 ^ w) &* Self.prime
        case 2: lanes.2 = (lanes.2 ^ w) &* Self.prime
        default: lanes.3 = (lanes.3 ^ w) &* Self.prime
        }
        words += 1
    }

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        count += bytes.count
        var i = 0
        while carried > 0 && i < bytes.count {
            carry |= UInt64(bytes[i]) << (8 * carried)
            carried += 1
            i += 1
            if carried == 8 {
                word(carry)
                carry = 0
                carried = 0
            }
        }
        while words & 3 != 0 && bytes.count - i >= 8 {
            word(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        if bytes.count - i >= 32 {
            let p = Self.prime
            var (a, b, c, d) = lanes
            let blocks = (bytes.count - i) / 32
            for k in 0..<blocks {
                let at = i + 32 * k
                a = (a ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))) &* p
                b = (b ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))) &* p
                c = (c ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))) &* p
                d = (d ^ UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))) &* p
            }
            lanes = (a, b, c, d)
            words += 4 * blocks
            i += 32 * blocks
        }
        while bytes.count - i >= 8 {
            word(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        while i < bytes.count {
            carry |= UInt64(bytes[i]) << (8 * carried)
            carried += 1
            i += 1
        }
    }

    /// The checksum of the bytes added (a copy is finished; this one can go on).
    var value: UInt64 {
        var copy = self
        if copy.carried > 0 { copy.word(copy.carry) }
        var h = Self.basis
        for lane in [copy.lanes.0, copy.lanes.1, copy.lanes.2, copy.lanes.3] { h = (h ^ lane) &* Self.prime }
        return (h ^ UInt64(count)) &* Self.prime
    }
}

/// A part's bytes in order, as ``PartialStateFormat/sealed(_:)`` makes them:
/// the writer's own bytes with its large arrays between them, not copied.
/// Write them piece by piece (``forEachSegment(_:)``) or take them as one
/// array (``bytes``).
public struct EncodedPart: Sendable {
    let writer: PartialWriter

    /// The part's length in bytes.
    public var count: Int { writer.count }

    /// Calls `body` on each run of the part's bytes, in order.
    public func forEachSegment<E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        try writer.forEachSegment(from: 0, body)
    }

    /// The part's bytes as one array.
    public var bytes: [UInt8] { writer.bytes }
}

/// Appends little-endian values to a part's bytes. The writer of
/// ``PartialStateFormat/begin()`` keeps arrays of `referenceCount` values or
/// more (`doubles`, `words`) by reference where they lie; any other copies
/// every value into its buffer.
public struct PartialWriter: Sendable {
    /// An array kept by reference, and where it sits: before `buffer[position...]`.
    struct Span: Sendable {
        enum Values: Sendable {
            case words([UInt64])
            case doubles([Double])
        }
        let position: Int
        let values: Values

        func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            let result: Result<R, E>
            switch values {
            case .words(let v): result = v.withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }
            case .doubles(let v): result = v.withUnsafeBytes { raw in Result { () throws(E) -> R in try body(raw) } }
            }
            return try result.get()
        }
    }

    /// Arrays of at least this many values are kept by reference (when the writer keeps any).
    static let referenceCount = 1 << 12

    /// The bytes written, but for the arrays in `spans`.
    var buffer: [UInt8] = []
    var spans: [Span] = []
    var spanBytes = 0
    /// Whether large arrays are kept by reference.
    let keepsArrays: Bool

    /// A writer that copies every value into its bytes.
    public init() { keepsArrays = false }

    init(keepingArrays: Bool) { keepsArrays = keepingArrays }

    /// Every byte written, in order, as one array (setting it drops what was written).
    public var bytes: [UInt8] {
        get {
            guard !spans.isEmpty else { return buffer }
            return [UInt8](unsafeUninitializedCapacity: count) { out, filled in
                var at = 0
                forEachSegment(from: 0) { segment in
                    UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: out[at..<(at + segment.count)])).copyMemory(from: segment)
                    at += segment.count
                }
                filled = at
            }
        }
        set {
            buffer = newValue
            spans = []
            spanBytes = 0
        }
    }

    /// Bytes written so far.
    public var count: Int { buffer.count + spanBytes }

    /// Room for `count` more bytes in the writer's own buffer.
    public mutating func reserveCapacity(_ count: Int) {
        buffer.reserveCapacity(buffer.count + count)
    }

    /// Calls `body` on each run of bytes from byte `start` (within the first run) on, in order.
    func forEachSegment<E: Error>(from start: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> Void) throws(E) {
        let runs: Result<Void, E> = buffer.withUnsafeBytes { raw in
            Result { () throws(E) in
                var at = start
                for span in spans {
                    precondition(span.position >= at, "a span within the header")
                    if span.position > at { try body(UnsafeRawBufferPointer(rebasing: raw[at..<span.position])) }
                    try span.withBytes(body)
                    at = span.position
                }
                if raw.count > at { try body(UnsafeRawBufferPointer(rebasing: raw[at...])) }
            }
        }
        try runs.get()
    }

    public mutating func u8(_ v: UInt8) { buffer.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { buffer += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { buffer += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { buffer += $0 } }
    public mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    /// A Double as its bit pattern (NaN payloads and −0 kept).
    public mutating func double(_ v: Double) { u64(v.bitPattern) }
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(utf8.count)
        buffer += utf8
    }
    public mutating func optionalString(_ s: String?) {
        bool(s != nil)
        if let s { string(s) }
    }
    public mutating func optionalInt(_ v: Int?) {
        bool(v != nil)
        if let v { int(v) }
    }
    public mutating func optionalDouble(_ v: Double?) {
        bool(v != nil)
        if let v { double(v) }
    }
    public mutating func doubles(_ values: [Double]) {
        int(values.count)
        #if _endian(little)
        if keepsArrays && values.count >= Self.referenceCount {
            spans.append(Span(position: buffer.count, values: .doubles(values)))
            spanBytes += 8 * values.count
        } else {
            values.withUnsafeBytes { buffer += $0 }
        }
        #else
        for v in values { double(v) }
        #endif
    }
    public mutating func words(_ values: [UInt64]) {
        int(values.count)
        #if _endian(little)
        if keepsArrays && values.count >= Self.referenceCount {
            spans.append(Span(position: buffer.count, values: .words(values)))
            spanBytes += 8 * values.count
        } else {
            values.withUnsafeBytes { buffer += $0 }
        }
        #else
        for v in values { u64(v) }
        #endif
    }
    public mutating func ints(_ values: [Int]) {
        int(values.count)
        #if _endian(little)
        values.withUnsafeBytes { buffer += $0 }
        #else
        for v in values { int(v) }
        #endif
    }
    /// `UInt32` values one after the other, without a count (the reader knows it).
    public mutating func u32s(_ values: [UInt32]) {
        #if _endian(little)
        values.withUnsafeBytes { buffer += $0 }
        #else
        for v in values { u32(v) }
        #endif
    }
    public mutating func strings(_ values: [String]) {
        int(values.count)
        for s in values { string(s) }
    }
    /// A ``FamilyState``: its doubles, its counts, its texts (each optional).
    public mutating func family(_ state: FamilyState) {
        doubles(state.doubles)
        ints(state.counts)
        int(state.texts.count)
        for t in state.texts { optionalString(t) }
    }
    /// A named section: the name, the payload's length and the payload `body` writes.
    public mutating func section(_ name: String, _ body: (inout PartialWriter) -> Void) {
        string(name)
        let at = buffer.count, start = count
        int(0)
        body(&self)
        let length = UInt64(count - start - 8).littleEndian
        withUnsafeBytes(of: length) { raw in
            for (i, b) in raw.enumerated() { buffer[at + i] = b }
        }
    }
}

/// The bytes of a part being read: a copy of an array, memory the caller
/// filled (a file read into one allocation) or a file mapped read-only,
/// freed by `release`. calib never changes them once made; a mapped file's
/// bytes may still be changed by another program, so every value is
/// copied out before it is validated (and then validated as copied).
public final class PartialBytes: @unchecked Sendable {
    /// The bytes.
    public let raw: UnsafeRawBufferPointer
    private let release: @Sendable (UnsafeRawBufferPointer) -> Void

    /// Bytes at `raw`, which `release` frees when the last reader is gone.
    public init(_ raw: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.raw = raw
        self.release = release
    }

    /// A copy of `bytes`.
    public convenience init(copying bytes: ArraySlice<UInt8>) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        bytes.withUnsafeBytes { copy.copyMemory(from: $0) }
        self.init(UnsafeRawBufferPointer(copy)) { $0.deallocate() }
    }

    public var count: Int { raw.count }

    deinit { release(raw) }
}

/// Reads what ``PartialWriter`` wrote; every read checks the bytes left and
/// throws ``PartialStateFormat/Problem/malformed(_:)`` past the end.
public struct PartialReader: Sendable {
    let storage: PartialBytes
    var at: Int
    let end: Int

    /// The format version of the part the bytes come from (layouts that changed read by it).
    public let version: UInt32

    public init(_ bytes: ArraySlice<UInt8>, version: UInt32 = PartialStateFormat.version) {
        self.init(PartialBytes(copying: bytes), range: 0..<bytes.count, version: version)
    }

    /// A reader of `storage`'s bytes in `range`.
    init(_ storage: PartialBytes, range: Range<Int>, version: UInt32) {
        self.storage = storage
        self.version = version
        at = range.lowerBound
        end = range.upperBound
    }

    public var isAtEnd: Bool { at == end }

    /// The next `n` bytes (valid while the reader's storage lives).
    private mutating func take(_ n: Int) throws(PartialStateFormat.Problem) -> UnsafeRawBufferPointer {
        guard n >= 0, end - at >= n else { throw .malformed("a section ends early") }
        defer { at += n }
        return UnsafeRawBufferPointer(rebasing: storage.raw[at..<(at + n)])
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(PartialStateFormat.Problem) -> T {
        T(littleEndian: try take(MemoryLayout<T>.size).loadUnaligned(as: T.self))
    }

    public mutating func u8() throws(PartialStateFormat.Problem) -> UInt8 { try fixed(UInt8.self) }
    public mutating func u16() throws(PartialStateFormat.Problem) -> UInt16 { try fixed(UInt16.self) }
    public mutating func u32() throws(PartialStateFormat.Problem) -> UInt32 { try fixed(UInt32.self) }
    public mutating func u64() throws(PartialStateFormat.Problem) -> UInt64 { try fixed(UInt64.self) }
    public mutating func int() throws(PartialStateFormat.Problem) -> Int { Int(Int64(bitPattern: try u64())) }
    /// A count or length: at least 0 and no more than the bytes left (each element takes a byte at least).
    public mutating func length() throws(PartialStateFormat.Problem) -> Int {
        let n = try int()
        guard n >= 0, n <= end - at else { throw .malformed("a length of \(n) where \(end - at) bytes are left") }
        return n
    }
    public mutating func bool() throws(PartialStateFormat.Problem) -> Bool {
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw .malformed("a flag other than 0 or 1")
        }
    }
    public mutating func double() throws(PartialStateFormat.Problem) -> Double { Double(bitPattern: try u64()) }
    public mutating func string() throws(PartialStateFormat.Problem) -> String {
        let n = try length()
        // Copied before it is validated: a mapped part's bytes may change under calib (`PartialBytes`).
        let bytes = Array(try take(n))
        guard let s = String(validating: bytes, as: UTF8.self) else { throw .malformed("a text that is not UTF-8") }
        return s
    }
    public mutating func optionalString() throws(PartialStateFormat.Problem) -> String? { try bool() ? try string() : nil }
    public mutating func optionalInt() throws(PartialStateFormat.Problem) -> Int? { try bool() ? try int() : nil }
    public mutating func optionalDouble() throws(PartialStateFormat.Problem) -> Double? { try bool() ? try double() : nil }
    public mutating func doubles() throws(PartialStateFormat.Problem) -> [Double] {
        #if _endian(little)
        try eightByteValues()
        #else
        try eightByteValues(as: UInt64.self).map { Double(bitPattern: UInt64(littleEndian: $0)) }
        #endif
    }
    public mutating func words() throws(PartialStateFormat.Problem) -> [UInt64] {
        #if _endian(little)
        try eightByteValues()
        #else
        try eightByteValues(as: UInt64.self).map { UInt64(littleEndian: $0) }
        #endif
    }
    /// A count, then that many 8-byte values copied as they lie (one copy, no conversion).
    private mutating func eightByteValues<T: BitwiseCopyable>(as _: T.Type = T.self) throws(PartialStateFormat.Problem) -> [T] {
        precondition(MemoryLayout<T>.stride == 8, "8-byte values")
        let n = try int()
        guard n >= 0, n <= (end - at) / 8 else { throw .malformed("\(n) numbers where \(end - at) bytes are left") }
        let raw = try take(8 * n)
        return [T](unsafeUninitializedCapacity: n) { out, count in
            UnsafeMutableRawBufferPointer(out).copyMemory(from: raw)
            count = n
        }
    }
    public mutating func ints() throws(PartialStateFormat.Problem) -> [Int] {
        let n = try int()
        guard n >= 0, n <= (end - at) / 8 else { throw .malformed("\(n) counts where \(end - at) bytes are left") }
        let raw = try take(8 * n)
        return [Int](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = Int(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            count = n
        }
    }
    /// `n` `UInt32` values (``PartialWriter/u32s(_:)``).
    public mutating func u32s(_ n: Int) throws(PartialStateFormat.Problem) -> [UInt32] {
        guard n >= 0, n <= (end - at) / 4 else { throw .malformed("\(n) numbers where \(end - at) bytes are left") }
        let raw = try take(4 * n)
        return [UInt32](unsafeUninitializedCapacity: n) { out, count in
            for i in 0..<n { out[i] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
            count = n
        }
    }
    public mutating func strings() throws(PartialStateFormat.Problem) -> [String] {
        let n = try length()
        var values: [String] = []
        for _ in 0..<n { values.append(try string()) }
        return values
    }
    public mutating func family() throws(PartialStateFormat.Problem) -> FamilyState {
        let doubles = try doubles()
        let counts = try ints()
        // Counts of rows, lines and bins: far below 2⁵², so that merging parts never overflows.
        guard counts.allSatisfy({ $0.magnitude <= PartialStateFormat.countLimit }) else { throw .malformed("a count beyond 2^52") }
        let n = try length()
        var texts: [String?] = []
        for _ in 0..<n { texts.append(try optionalString()) }
        return FamilyState(doubles: doubles, counts: counts, texts: texts)
    }
    /// The next `n` bytes as a reader of their own.
    public mutating func slice(_ n: Int) throws(PartialStateFormat.Problem) -> PartialReader {
        let start = at
        _ = try take(n)
        return PartialReader(storage, range: start..<(start + n), version: version)
    }
    /// Throws unless every byte was read.
    public func requireEnd(_ what: String) throws(PartialStateFormat.Problem) {
        guard isAtEnd else { throw .malformed("\(end - at) bytes left over in \(what)") }
    }
}
