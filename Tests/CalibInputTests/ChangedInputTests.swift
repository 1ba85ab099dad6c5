import CalibCore
@testable import CalibInput
import CalibTestSupport
import Foundation
import Testing

/// A regular file that changes while it is read is an error naming it
/// (issue 11, item 11): truncated, appended to, rewritten in place or replaced.
@Suite("Input changed while reading")
struct ChangedInputTests {
    static let rows = (0..<2_000).map { "\($0 % 2),0.\($0 % 10)" }.joined(separator: "\n")
    static let text = "label,prob\n" + rows + "\n"

    /// Reads `path` through a source in 4 KiB reads, running `change` after the first read.
    static func readChanging(_ path: String, change: (String) throws -> Void) throws {
        let source = try FileDescriptorSource(path: path)
        var buffer = [UInt8](repeating: 0, count: 4096)
        var first = true
        while try buffer.withUnsafeMutableBytes({ try source.read(into: $0) }) > 0 {
            if first { try change(path); first = false }
        }
    }

    static func append(_ path: String, _ text: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    @Test("a change between open and the end of reading fails with exit 65 naming the file and the change", arguments: [
        ("appended", "size 12011 → 12023 bytes"),
        ("truncated", "size 12011 → 100 bytes"),
        ("truncated and regrown", "modified during the read, size unchanged"),
        ("rewritten in place", "modified during the read, size unchanged"),
        ("replaced by rename", "the path now names another file"),
    ])
    func changed(how: String, change: String) throws {
        let path = try temporaryFile("live.csv", Self.text)
        #expect(Self.text.utf8.count == 12011)
        let error = try #require(throws: InputError.self) {
            try Self.readChanging(path) { path in
                switch how {
                case "appended": try Self.append(path, "1,0.5\n0,0.5\n")
                case "truncated": #expect(truncate(path, 100) == 0)
                case "truncated and regrown":
                    #expect(truncate(path, 0) == 0)
                    try Self.append(path, Self.text)
                case "rewritten in place":
                    // Same size, new time: sleep past the file system's time granularity.
                    usleep(20_000)
                    let handle = try #require(FileHandle(forWritingAtPath: path))
                    handle.write(Data("label,prob\n1".utf8))
                    try handle.close()
                default:
                    let other = path + ".new"
                    try Data(Self.text.utf8).write(to: URL(fileURLWithPath: other))
                    #expect(rename(other, path) == 0)
                }
            }
        }
        #expect(error.exitCode == 65)
        #expect(error.description == "\(path): the file changed while it was read (\(change)); audit a copy taken once it is complete")
        #expect(error.hint == "copy it first (cp FILE snapshot) when no program is writing it, and audit the copy")
    }

    @Test("an unchanged file reads to the end without complaint")
    func unchanged() throws {
        let path = try temporaryFile("still.csv", Self.text)
        try Self.readChanging(path) { _ in }
    }

    @Test("an audit fails when the file grows after the first block (changed from the progress callback)", arguments: [1, 2])
    func auditSeesAppend(threads: Int) throws {
        let path = try temporaryFile("grow.csv", Self.text)
        var options = ReadOptions()
        options.blockBytes = 512
        options.threads = threads
        var calls = 0
        let error = try #require(throws: InputError.self) {
            _ = try InputAudit.run(.file(path), options: options) { _ in
                calls += 1
                if calls == 1 { try? Self.append(path, "1,0.5\n") }
            }
        }
        #expect(error.exitCode == 65)
        #expect(error.reason.hasPrefix("the file changed while it was read (size 12011 → 12017 bytes)"))
    }

    @Test("an audit fails when the file is truncated after the first block")
    func auditSeesTruncation() throws {
        let path = try temporaryFile("shrink.csv", Self.text)
        var options = ReadOptions()
        options.blockBytes = 512
        var calls = 0
        let error = try #require(throws: InputError.self) {
            _ = try InputAudit.run(.file(path), options: options) { _ in
                calls += 1
                if calls == 1 { _ = truncate(path, 5_000) }
            }
        }
        #expect(error.reason.hasPrefix("the file changed while it was read (size 12011 → 5000 bytes)"))
    }
}
