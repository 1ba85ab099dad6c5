import CalibCore
import CalibInput
import CalibTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SPEC section 14 on reading parts: `calib merge` maps a part's file
/// (``MappedFiles``) instead of copying it, and a part that shrinks under it
/// is a damaged input (exit 65 naming it), never a crash.
@Suite("Parts read by mapping their file", .serialized)  // one test takes every slot for a while
struct MappedFileTests {
    /// The spam sample's part (two replicates), written to a new file, given to
    /// `body` with its path and a descriptor open on it for reading and writing
    /// (close-on-exec); closed and removed by `body`'s end.
    static func withPartFile(_ body: (String, [UInt8], Int32) throws -> Void) throws {
        let sums = try InputAudit.accumulate(.file(TestPaths.sampleData + "/spam_messages.tsv"), ranking: RankingSettings(),
                                             bootstrap: BootstrapSettings(replicates: 2))
        let bytes = PartialPart(tool: "0.1.0", rowOffset: 0, audit: sums).encoded()
        var template = Array("/tmp/calib-mapped-XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { close(fd); unlink(path) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        try #require(written == bytes.count)
        try body(path, bytes, fd)
    }

    @Test("a part read from its file has the bytes written and decodes to the part written")
    func mappedBytes() throws {
        try Self.withPartFile { path, bytes, _ in
            let read = try PartialFile.read(path)
            #expect(withExtendedLifetime(read) { Array(read.raw) } == bytes)
            let decoded = try AnyPartialPart(decoding: read, file: path)
            guard case .audit(let part) = decoded else { Issue.record("decoded as \(decoded.kind)"); return }
            #expect(part.encoded() == bytes)
        }
    }

    @Test("with every mapping slot taken, a part is read with read(2), byte for byte the same")
    func slotsTaken() throws {
        try Self.withPartFile { path, bytes, fd in
            var held: [MappedFiles.Mapping] = []
            while held.count < MappedFiles.slots, let mapping = MappedFiles.map(fd, size: bytes.count, message: "unused") { held.append(mapping) }
            defer { for mapping in held { mapping.unmap() } }
            let extra = MappedFiles.map(fd, size: bytes.count, message: "unused")
            #expect(extra == nil)
            extra?.unmap()
            let read = try PartialFile.read(path)
            #expect(withExtendedLifetime(read) { Array(read.raw) } == bytes)
        }
    }

    @Test("a file larger than a quarter of the machine's memory is not mapped (read(2) refuses what cannot fit)")
    func tooLarge() throws {
        try Self.withPartFile { _, _, fd in
            let mapping = MappedFiles.map(fd, size: MappedFiles.largestMapping + 1, message: "unused")
            #expect(mapping == nil)
            mapping?.unmap()
        }
    }

    @Test("a mapped part truncated by another program while it is read ends the run with exit 65 and the message naming it")
    func truncatedWhileMapped() throws {
        try Self.withPartFile { path, bytes, fd in
            let message = "calib: error: \(PartialFile.changedWhileRead(path))"
            let mapping = try #require(MappedFiles.map(fd, size: bytes.count, message: message))
            defer { mapping.unmap() }
            // Close-on-exec: a process another test starts meanwhile must not hold the write end.
            var pipeEnds: [Int32] = [0, 0]
            try #require(pipe(&pipeEnds) == 0)
            for end in pipeEnds { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
            // The child only makes async-signal-safe calls: it truncates the file
            // and reads its last byte, which is no longer there.
            let child = fork()
            if child == 0 {
                // A crash in the child ends it at once, without the Swift runtime's backtracer.
                for signalNumber in [SIGSEGV, SIGILL, SIGABRT, SIGFPE, SIGTRAP] { signal(signalNumber, SIG_DFL) }
                dup2(pipeEnds[1], 2)
                ftruncate(fd, 0)
                let last = mapping.raw[bytes.count - 1]
                _exit(last == 0 ? 3 : 4)
            }
            close(pipeEnds[1])
            try #require(child > 0)
            // The child's message, until it ends (or 20 s: then it is killed and the test fails).
            var text: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            var waiting = pollfd(fd: pipeEnds[0], events: Int16(POLLIN), revents: 0)
            while poll(&waiting, 1, 20_000) > 0 {
                let n = chunk.withUnsafeMutableBytes { read(pipeEnds[0], $0.baseAddress, $0.count) }
                if n <= 0 { break }
                text += chunk[..<n]
            }
            kill(child, SIGKILL)
            close(pipeEnds[0])
            var status: Int32 = 0
            waitpid(child, &status, 0)
            #expect(status & 0x7f == 0, "the child ended by signal \(status & 0x7f), not by exit")
            #expect((status >> 8) & 0xff == MappedFiles.truncatedStatus)
            #expect(String(decoding: text, as: UTF8.self) == message + "\n")
            #expect(message.contains(path) && message.contains("changed while calib read it"))
        }
    }
}
