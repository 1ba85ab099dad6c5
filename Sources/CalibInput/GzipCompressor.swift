import CZlib

/// Gzip compression (zlib's `deflate`, default level, gzip header) of output
/// written in pieces, for `calib apply -o OUT.gz`.
public final class GzipCompressor {
    private let stream: UnsafeMutablePointer<z_stream>
    private let buffer: UnsafeMutableRawBufferPointer

    public init() throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        buffer = .allocate(byteCount: 1 << 18, alignment: 16)
        // 15 + 16: the largest window, with a gzip header and trailer.
        let status = deflateInit2_(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            buffer.deallocate(); stream.deallocate()
            throw InputError(.usage, file: "gzip", reason: "cannot start gzip compression (zlib status \(status))")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
        buffer.deallocate()
    }

    /// Compresses `bytes` (with `finish`, the end of the stream) and hands the compressed pieces to `write`.
    public func compress(_ bytes: UnsafeRawBufferPointer, finish: Bool, _ write: (UnsafeRawBufferPointer) throws -> Void) throws {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = UInt32(bytes.count)
        while true {
            stream.pointee.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
            stream.pointee.avail_out = UInt32(buffer.count)
            let status = deflate(stream, finish ? Z_FINISH : Z_NO_FLUSH)
            let produced = buffer.count - Int(stream.pointee.avail_out)
            if produced > 0 { try write(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<produced])) }
            if finish ? status == Z_STREAM_END : (stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0) { return }
            if status != Z_OK && status != Z_BUF_ERROR {
                throw InputError(.usage, file: "gzip", reason: "gzip compression failed (zlib status \(status))")
            }
        }
    }
}
