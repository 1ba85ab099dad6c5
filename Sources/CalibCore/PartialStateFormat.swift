/// The byte format of a partial state (SPEC section 14): a self-describing,
/// versioned container of named sections, little-endian, every Double kept
/// as its 64-bit pattern.
///
/// Layout: the magic `CALIBPRT` (8 bytes), the format version (`UInt32`),
/// the body's length in bytes (`UInt64`), the body, and the body's checksum
/// (`UInt64`): since version 2 ``fnv1a64Words(_:)``, FNV-1a 64 over the body's
/// 64-bit little-endian words (Fowler, Noll & Vo's step on a word instead of
/// a byte: a part of hundreds of MB hashes in a tenth of the time); version 1
/// hashed bytes (``fnv1a64(_:)``). The body is a run of sections, each its
/// name (`Int64` byte count + UTF-8), its payload length (`UInt64`) and its
/// payload; readers look sections up by name and skip names they do not
/// know. Version 3 keeps the bootstrap grid sparse (the slots rows reached);
/// versions 1 and 2, still read, kept it dense (every reader gets the part's
/// ``PartialReader/version``). A file shorter or longer than its stated length is truncated (or
/// has trailing bytes); a body whose hash differs is corrupted.
public enum PartialStateFormat {
    /// The first 8 bytes of every part.
    public static let magic: [UInt8] = Array("CALIBPRT".utf8)
    /// The version this build writes and the newest it reads (it reads 1 and 2 too).
    public static let version: UInt32 = 3
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

    /// The checksum of `body` in format `version`.
    static func checksum(_ body: UnsafeRawBufferPointer, version: UInt32) -> UInt64 {
        version == 1 ? fnv1a64(body) : fnv1a64Words(body)
    }

    /// The whole part: header, `body`, checksum.
    public static func wrap(_ body: PartialWriter) -> [UInt8] {
        var out = begin()
        out.bytes += body.bytes
        return finish(&out)
    }

    /// A writer holding the header, its length still 0: write the sections
    /// into it, then ``finish(_:)`` (no copy of the body, which may be hundreds of MB).
    public static func begin() -> PartialWriter {
        var out = PartialWriter()
        out.bytes += magic
        out.u32(version)
        out.u64(0)
        return out
    }

    /// The part ``begin()``'s writer holds: its body's length set and its checksum appended.
    public static func finish(_ out: inout PartialWriter) -> [UInt8] {
        let length = UInt64(out.bytes.count - headerBytes).littleEndian
        withUnsafeBytes(of: length) { raw in
            for (i, b) in raw.enumerated() { out.bytes[12 + i] = b }
        }
        let hash = out.bytes.withUnsafeBytes { checksum(UnsafeRawBufferPointer(rebasing: $0[headerBytes...]), version: version) }
        out.u64(hash)
        return out.bytes
    }

    /// The sections of a part, after checking its magic, version, length and checksum.
    public static func unwrap(_ bytes: [UInt8]) throws(Problem) -> [String: PartialReader] {
        guard bytes.count >= 8, Array(bytes[0..<8]) == magic else { throw .notAPart }
        var header = PartialReader(bytes[8...])
        guard let v = try? header.u32() else { throw .truncated(expected: headerBytes + 8, found: bytes.count) }
        guard v <= version, v >= 1 else { throw .futureVersion(v) }
        guard let length = try? header.u64(), length <= UInt64(Int.max - 64) else { throw .truncated(expected: headerBytes + 8, found: bytes.count) }
        let expected = headerBytes + Int(length) + 8
        if bytes.count < expected { throw .truncated(expected: expected, found: bytes.count) }
        if bytes.count > expected { throw .trailingBytes(expected: expected, found: bytes.count) }
        let body = bytes[headerBytes..<(headerBytes + Int(length))]
        var tail = PartialReader(bytes[(expected - 8)...])
        let stored = try tail.u64()
        guard body.withUnsafeBytes({ checksum($0, version: v) }) == stored else { throw .checksum }
        var reader = PartialReader(body, version: v)
        var sections: [String: PartialReader] = [:]
        while !reader.isAtEnd {
            let name = try reader.string()
            let size = try reader.length()
            sections[name] = try reader.slice(size)
        }
        return sections
    }
}

/// Appends little-endian values to a part's bytes.
public struct PartialWriter: Sendable {
    public var bytes: [UInt8] = []

    public init() {}

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
    public mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    /// A Double as its bit pattern (NaN payloads and −0 kept).
    public mutating func double(_ v: Double) { u64(v.bitPattern) }
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(utf8.count)
        bytes += utf8
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
        values.withUnsafeBytes { bytes += $0 }
        #else
        for v in values { double(v) }
        #endif
    }
    public mutating func words(_ values: [UInt64]) {
        int(values.count)
        #if _endian(little)
        values.withUnsafeBytes { bytes += $0 }
        #else
        for v in values { u64(v) }
        #endif
    }
    public mutating func ints(_ values: [Int]) {
        int(values.count)
        for v in values { int(v) }
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
        let at = bytes.count
        int(0)
        body(&self)
        let length = UInt64(bytes.count - at - 8).littleEndian
        withUnsafeBytes(of: length) { raw in
            for (i, b) in raw.enumerated() { bytes[at + i] = b }
        }
    }
}

/// Reads what ``PartialWriter`` wrote; every read checks the bytes left and
/// throws ``PartialStateFormat/Problem/malformed(_:)`` past the end.
public struct PartialReader: Sendable {
    let bytes: ArraySlice<UInt8>
    var at: Int

    /// The format version of the part the bytes come from (layouts that changed read by it).
    public let version: UInt32

    public init(_ bytes: ArraySlice<UInt8>, version: UInt32 = PartialStateFormat.version) {
        self.bytes = bytes
        self.version = version
        at = bytes.startIndex
    }

    public var isAtEnd: Bool { at == bytes.endIndex }

    private mutating func take(_ n: Int) throws(PartialStateFormat.Problem) -> ArraySlice<UInt8> {
        guard n >= 0, bytes.endIndex - at >= n else { throw .malformed("a section ends early") }
        defer { at += n }
        return bytes[at..<(at + n)]
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(PartialStateFormat.Problem) -> T {
        let raw = try take(MemoryLayout<T>.size)
        var v: T = 0
        withUnsafeMutableBytes(of: &v) { out in raw.withUnsafeBytes { out.copyMemory(from: $0) } }
        return T(littleEndian: v)
    }

    public mutating func u8() throws(PartialStateFormat.Problem) -> UInt8 { try fixed(UInt8.self) }
    public mutating func u16() throws(PartialStateFormat.Problem) -> UInt16 { try fixed(UInt16.self) }
    public mutating func u32() throws(PartialStateFormat.Problem) -> UInt32 { try fixed(UInt32.self) }
    public mutating func u64() throws(PartialStateFormat.Problem) -> UInt64 { try fixed(UInt64.self) }
    public mutating func int() throws(PartialStateFormat.Problem) -> Int { Int(Int64(bitPattern: try u64())) }
    /// A count or length: at least 0 and no more than the bytes left (each element takes a byte at least).
    public mutating func length() throws(PartialStateFormat.Problem) -> Int {
        let n = try int()
        guard n >= 0, n <= bytes.endIndex - at else { throw .malformed("a length of \(n) where \(bytes.endIndex - at) bytes are left") }
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
        let raw = try take(n)
        guard let s = String(validating: raw, as: UTF8.self) else { throw .malformed("a text that is not UTF-8") }
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
        guard n >= 0, n <= (bytes.endIndex - at) / 8 else { throw .malformed("\(n) numbers where \(bytes.endIndex - at) bytes are left") }
        let raw = try take(8 * n)
        return [T](unsafeUninitializedCapacity: n) { out, count in
            raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(out).copyMemory(from: $0) }
            count = n
        }
    }
    public mutating func ints() throws(PartialStateFormat.Problem) -> [Int] {
        let n = try int()
        guard n >= 0, n <= (bytes.endIndex - at) / 8 else { throw .malformed("\(n) counts where \(bytes.endIndex - at) bytes are left") }
        var values: [Int] = []
        values.reserveCapacity(n)
        for _ in 0..<n { values.append(try int()) }
        return values
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
        PartialReader(try take(n), version: version)
    }
    /// Throws unless every byte was read.
    public func requireEnd(_ what: String) throws(PartialStateFormat.Problem) {
        guard isAtEnd else { throw .malformed("\(bytes.endIndex - at) bytes left over in \(what)") }
    }
}
