import CalibTestSupport
import Foundation
import Testing

/// Replays the fuzzers' seed corpus and every crash they ever found
/// (Tests/Fuzz/Regressions/<target>/): each must return, audited or rejected.
@Suite("Fuzz corpus and regressions")
struct FuzzRegressionTests {
    /// The fuzz targets, in the order Tests/Fuzz/run_fuzzers.sh runs them; each names a folder of
    /// Tests/Fuzz/Corpus and of Tests/Fuzz/Regressions.
    static let targets = ["delimited", "jsonl", "gate", "labels", "partial"]

    static let root = TestPaths.packageRoot + "/Tests/Fuzz/"

    /// Every file under Tests/Fuzz/`folder`, at any depth, relative to Tests/Fuzz and sorted; hidden
    /// files (.gitkeep) aside. None when the folder does not exist.
    static func files(_ folder: String) -> [String] {
        let manager = FileManager.default
        let paths = (try? manager.subpathsOfDirectory(atPath: root + folder)) ?? []
        return paths.filter { path in
            var isFolder: ObjCBool = false
            let hidden = (path as NSString).lastPathComponent.hasPrefix(".")
            return !hidden && manager.fileExists(atPath: root + folder + "/" + path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted().map { folder + "/" + $0 }
    }

    /// The target a file is for: the name of the folder it lies in directly under Corpus or
    /// Regressions, or nil when that is no fuzz target (or the file lies elsewhere).
    static func target(of relative: String) -> String? {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, targets.contains(parts[1]) else { return nil }
        return parts[1]
    }

    /// The file at `relative` (under Tests/Fuzz) through the harness of its target.
    static func run(_ relative: String) throws -> FuzzHarness.Outcome {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: root + relative)))
        switch target(of: relative) {
        case "delimited": return FuzzHarness.delimited(bytes)
        case "jsonl": return FuzzHarness.jsonLines(bytes)
        case "gate": return FuzzHarness.gate(bytes)
        case "labels": return FuzzHarness.labels(bytes)
        case "partial": return FuzzHarness.partial(bytes)
        default: return .broken("not in a folder named after a fuzz target (\(targets.joined(separator: ", ")))")
        }
    }

    @Test("the fuzz targets are those run_fuzzers.sh runs, each with a seed corpus")
    func targetList() throws {
        let script = try String(contentsOfFile: Self.root + "run_fuzzers.sh", encoding: .utf8)
        let loop = script.split(separator: "\n").first { $0.hasPrefix("for target in ") }
        let listed = try #require(loop, "run_fuzzers.sh has no 'for target in …' loop")
            .dropFirst("for target in ".count).prefix { $0 != ";" }.split(separator: " ").map(String.init)
        #expect(listed == Self.targets)
        let corpus = Self.files("Corpus")
        for target in Self.targets {
            #expect(corpus.contains { Self.target(of: $0) == target }, "no seed corpus for \(target)")
        }
    }

    @Test("the seed corpus audits cleanly", arguments: files("Corpus"))
    func corpus(file: String) throws {
        let outcome = try Self.run(file)
        #expect(outcome == .audited || outcome == .rejected(65), "\(file): \(outcome)")
    }

    @Test("every input a fuzzer crashed on lies in Regressions/<target>/ and now returns with an outcome")
    func regressions() throws {
        // Empty while no fuzzer has crashed; run_fuzzers.sh says where to copy a crash.
        for file in Self.files("Regressions") {
            guard Self.target(of: file) != nil else {
                Issue.record("\(file): a crash input lies in Tests/Fuzz/Regressions/<target>/, for a target of \(Self.targets.joined(separator: ", "))")
                continue
            }
            let outcome = try Self.run(file)
            #expect(outcome != .rejected(-1), "\(file): an unexpected error type")
            if case let .broken(reason) = outcome { Issue.record("\(file): \(reason)") }
        }
    }
}
