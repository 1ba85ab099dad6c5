#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// A stream of bytes: a file, standard input, or a decompressor over either.
protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes; returns 0 at the end of the input.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Bytes from a file descriptor (a file opened by path, or standard input).
///
/// A regular file opened by path is checked for changes while it is read: at
/// the end of the input its size and modification time (by `fstat`) and
/// what the path names (by `stat`: device, inode, size, time) must all be as
/// they were at open, else reading fails with a data error
/// (exit 65) — a file truncated or appended to mid-read would otherwise be
/// audited as a mix of two versions. Pipes and standard input are not checked.
final class FileDescriptorSource: ByteSource {
    let descriptor: Int32
    let name: String
    private let ownsDescriptor: Bool
    /// What a regular file was at open (nil for anything else).
    private let opened: FileState?

    /// The identity, size and modification time of a file.
    struct FileState: Equatable {
        let device: UInt64
        let inode: UInt64
        let size: Int
        let seconds: Int
        let nanoseconds: Int

        init(_ info: stat) {
            device = UInt64(truncatingIfNeeded: info.st_dev)
            inode = UInt64(truncatingIfNeeded: info.st_ino)
            size = Int(truncatingIfNeeded: info.st_size)
            #if canImport(Darwin)
            seconds = Int(truncatingIfNeeded: info.st_mtimespec.tv_sec)
            nanoseconds = Int(truncatingIfNeeded: info.st_mtimespec.tv_nsec)
            #else
            seconds = Int(truncatingIfNeeded: info.st_mtim.tv_sec)
            nanoseconds = Int(truncatingIfNeeded: info.st_mtim.tv_nsec)
            #endif
        }
    }

    /// Opens `path` for reading; a missing or unreadable file is `InputError.Kind.noInput`.
    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw InputError(.noInput, file: path, reason: "cannot open: \(FileDescriptorSource.errorText(errno))")
        }
        var info = stat()
        let known = fstat(fd, &info) == 0
        if known && (info.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw InputError(.noInput, file: path, reason: "cannot read: it is a directory")
        }
        descriptor = fd
        name = path
        ownsDescriptor = true
        opened = known && (info.st_mode & S_IFMT) == S_IFREG ? FileState(info) : nil
    }

    init(standardInputNamed name: String) {
        descriptor = 0
        self.name = name
        ownsDescriptor = false
        opened = nil
    }

    /// Throws when the regular file changed since it was opened (see the type's documentation).
    func checkUnchanged() throws {
        guard let opened else { return }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return }
        let now = FileState(info)
        var change: String?
        if now.size != opened.size {
            change = "size \(opened.size) → \(now.size) bytes"
        } else if now != opened {
            change = "modified during the read, size unchanged"
        } else if stat(name, &info) == 0 {
            let path = FileState(info)
            if path.device != opened.device || path.inode != opened.inode {
                change = "the path now names another file"
            } else if path != opened {
                change = "modified during the read"
            }
        }
        if let change {
            throw InputError(.data, file: name, reason: "the file changed while it was read (\(change)); audit a copy taken once it is complete",
                             hint: "copy it first (cp FILE snapshot) when no program is writing it, and audit the copy")
        }
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            #if canImport(Darwin)
            let n = Darwin.read(descriptor, buffer.baseAddress, buffer.count)
            #elseif canImport(Glibc)
            let n = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            #else
            let n = Musl.read(descriptor, buffer.baseAddress, buffer.count)
            #endif
            if n > 0 { return n }
            if n == 0 {
                try checkUnchanged()
                return 0
            }
            if errno == EINTR { continue }
            throw InputError(.noInput, file: name, reason: "cannot read: \(FileDescriptorSource.errorText(errno))")
        }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Bytes that were read ahead (to sniff a format) followed by the rest of a source.
final class PrefixedSource: ByteSource {
    private var prefix: [UInt8]
    private var offset = 0
    private let rest: any ByteSource

    init(prefix: [UInt8], rest: any ByteSource) {
        self.prefix = prefix
        self.rest = rest
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        if offset < prefix.count {
            let n = Swift.min(buffer.count, prefix.count - offset)
            prefix.withUnsafeBytes { bytes in
                buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
            }
            offset += n
            if offset == prefix.count { prefix = [] ; offset = Int.max }
            return n
        }
        return try rest.read(into: buffer)
    }
}

/// Gzip (or zlib) decompression over another source, with the system zlib.
/// Concatenated gzip members (as `cat a.gz b.gz` makes) are read one after another.
final class GzipSource: ByteSource {
    private let inner: any ByteSource
    private let name: String
    private let stream: UnsafeMutablePointer<z_stream>
    private let input: UnsafeMutableRawBufferPointer
    private var finished = false
    private var innerDone = false

    init(_ inner: any ByteSource, name: String) throws {
        self.inner = inner
        self.name = name
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        input = .allocate(byteCount: 1 << 18, alignment: 16)
        // 15 + 32: the largest window, with automatic gzip/zlib header detection.
        let status = inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            input.deallocate(); stream.deallocate()
            throw InputError(.noInput, file: name, reason: "cannot start gzip decompression (zlib status \(status))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = UInt32(Swift.min(buffer.count, Int(UInt32.max)))
        while stream.pointee.avail_out > 0 {
            if stream.pointee.avail_in == 0 && !innerDone {
                let n = try inner.read(into: input)
                if n == 0 { innerDone = true } else {
                    stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_in = UInt32(n)
                }
            }
            if stream.pointee.avail_in == 0 && innerDone {
                let produced = buffer.count - Int(stream.pointee.avail_out)
                if produced > 0 { return produced }
                // Input ended. Fine between members; not in the middle of one.
                if awaitingMember { finished = true; return 0 }
                throw InputError(.data, file: name, reason: "the gzip data ends early: the file is truncated")
            }
            awaitingMember = false
            let status = inflate(stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                // Another member may follow.
                inflateReset(stream)
                awaitingMember = true
            default:
                let detail = stream.pointee.msg.map { String(cString: $0) } ?? "status \(status)"
                throw InputError(.data, file: name, reason: "the gzip data is corrupt (\(detail))")
            }
        }
        return buffer.count
    }

    /// True right after a member ended (or before the first byte): the end of input is clean here.
    private var awaitingMember = false
}

/// Where a table comes from.
public enum InputLocation: Sendable, Hashable {
    case file(String)
    /// Standard input, shown under `name` (`<stdin>` unless `--stdin-name` says otherwise).
    case standardInput(name: String)
    /// Bytes already in memory (tests, fuzzing, embedding), shown under `name`.
    case bytes([UInt8], name: String)

    /// The name standard input goes by unless the user names it.
    public static let standardInputName = "<stdin>"

    /// Standard input under its usual name, `<stdin>`.
    public static var standardInput: InputLocation { .standardInput(name: standardInputName) }

    /// The input a command-line argument names: `-` is standard input (under
    /// `standardInputName` if given, else `<stdin>`), anything else a file path.
    public init(argument: String, standardInputName: String? = nil) {
        self = argument == "-" ? .standardInput(name: standardInputName ?? Self.standardInputName) : .file(argument)
    }

    /// The name used in messages and reports.
    public var displayName: String {
        switch self {
        case let .file(path): path
        case let .standardInput(name): name
        case let .bytes(_, name): name
        }
    }

    /// Opens the input, transparently decompressing gzip (sniffed by its magic bytes).
    func open() throws -> any ByteSource {
        let raw: any ByteSource = switch self {
        case let .file(path): try FileDescriptorSource(path: path)
        case let .standardInput(name): FileDescriptorSource(standardInputNamed: name)
        case let .bytes(bytes, _): PrefixedSource(prefix: bytes, rest: EmptySource())
        }
        var head = [UInt8](repeating: 0, count: 2)
        var got = 0
        while got < 2 {
            let n = try head.withUnsafeMutableBytes { try raw.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) }
            if n == 0 { break }
            got += n
        }
        head.removeLast(2 - got)
        let source = PrefixedSource(prefix: head, rest: raw)
        if head == [0x1F, 0x8B] { return try GzipSource(source, name: displayName) }
        return source
    }
}
