import CalibTestSupport
import Foundation
import Testing

/// Replays the fuzzers' seed corpus and every crash they ever found
/// (Tests/Fuzz/Regressions/<target>/): each must return, audited or rejected.
@Suite("Fuzz corpus and regressions")
struct FuzzRegressionTests {
    static func inputs(_ folder: String) -> [String] {
        let root = TestPaths.packageRoot + "/Tests/Fuzz/" + folder
        var files: [String] = []
        for target in ["delimited", "jsonl", "gate", "labels"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + target)) ?? []
            files += names.filter { !$0.hasPrefix(".") }.sorted().map { "\(folder)/\(target)/\($0)" }
        }
        return files
    }

    static func run(_ relative: String) throws -> FuzzHarness.Outcome {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestPaths.packageRoot + "/Tests/Fuzz/" + relative)))
        if relative.contains("/jsonl/") { return FuzzHarness.jsonLines(bytes) }
        if relative.contains("/gate/") { return FuzzHarness.gate(bytes) }
        if relative.contains("/labels/") { return FuzzHarness.labels(bytes) }
        return FuzzHarness.delimited(bytes)
    }

    @Test("the seed corpus audits cleanly", arguments: inputs("Corpus"))
    func corpus(file: String) throws {
        let outcome = try Self.run(file)
        #expect(outcome == .audited || outcome == .rejected(65), "\(file): \(outcome)")
    }

    @Test("every input a fuzzer crashed on now returns with an outcome", arguments: inputs("Regressions"))
    func regression(file: String) throws {
        let outcome = try Self.run(file)
        #expect(outcome != .rejected(-1), "\(file): an unexpected error type")
        if case let .broken(reason) = outcome { Issue.record("\(file): \(reason)") }
    }
}
