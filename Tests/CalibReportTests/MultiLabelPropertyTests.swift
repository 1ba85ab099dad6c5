import CalibCore
import CalibInput
import CalibReport
import CalibTestSupport
import Foundation
import Testing

/// SPEC section 13, multi-label: each label is exactly the binary audit of
/// its two columns, a one-label file is the binary audit, and the report is
/// the same bytes for any thread count.
@Suite("Multi-label audits: properties")
struct MultiLabelPropertyTests {
    static let sample = TestPaths.sampleData + "/multilabel/spam_categories.csv"
    static let weighted = TestPaths.golden + "/multilabel_weighted.csv"
    static let logits = TestPaths.golden + "/multilabel_logits.csv"
    static let bootstrap = BootstrapSettings(replicates: 20, seed: 7)

    static func member(_ value: JSONValue, _ name: String) -> JSONValue {
        guard case let .object(pairs) = value else { return .null }
        return pairs.first { $0.0 == name }?.1 ?? .null
    }

    /// Small blocks and chunks, so that the rows travel in many blocks.
    static func options(threads: Int = 2) -> ReadOptions {
        var options = ReadOptions()
        options.threads = threads
        options.blockBytes = 4096
        options.chunkRows = 100
        return options
    }

    static func multiLabel(_ path: String, threads: Int = 2) throws -> MultiLabelReport {
        let outcome = try MultiLabelAudit.audit(.file(path), options: options(threads: threads), ranking: RankingSettings(), bootstrap: bootstrap)
        return MultiLabelReport(input: outcome.input, result: outcome.result)
    }

    /// The binary audit of one label's columns: `--label y_<l> --prob <score column> --positive 1`.
    static func binary(_ path: String, target: String, score: String) throws -> JSONValue {
        var options = options()
        options.label = target
        options.scoreColumns = [score]
        options.positive = "1"
        let outcome = try InputAudit.audit(.file(path), options: options, ranking: RankingSettings(), bootstrap: bootstrap)
        return JSONReportRenderer.document(Report(input: outcome.input, result: outcome.result))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let path: String
        var testDescription: String { name }
    }

    static let files = [
        Case(name: "the spam-categories sample (probabilities)", path: sample),
        Case(name: "a weighted fixture", path: weighted),
        Case(name: "a weighted fixture of logits", path: logits),
    ]

    @Test("every label's sections are the bytes of the binary audit of its two columns", arguments: files)
    func perLabelIsBinaryAudit(file: Case) throws {
        let report = try Self.multiLabel(file.path)
        guard case let .array(labels) = Self.member(MultiLabelRenderer.document(report), "labels") else { Issue.record("no labels[]"); return }
        #expect(labels.count == report.input.labels.count)
        for (l, entry) in labels.enumerated() {
            let binary = try Self.binary(file.path, target: report.input.targetColumns[l], score: report.input.scoreColumns[l])
            for section in ["metrics", "ranking", "intervals", "perClass", "confusionMatrix", "positiveReliability", "imbalance"] {
                #expect(Self.member(entry, section).serialized() == Self.member(binary, section).serialized(), "\(file.name): label \(report.input.labels[l]), \(section)")
            }
            #expect(Self.member(entry, "metrics") != .null)
        }
    }

    @Test("a one-label file is the binary audit: its summary is that audit's values")
    func oneLabel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("calib-ml-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = try String(contentsOfFile: Self.sample, encoding: .utf8).split(separator: "\n")
        let header = source[0].split(separator: ",", omittingEmptySubsequences: false)
        let keep = [header.firstIndex(of: "y_scam")!, header.firstIndex(of: "p_scam")!]
        let text = source.map { line in
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            return keep.map { String(cells[$0]) }.joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        let path = folder + "/scam.csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let report = try Self.multiLabel(path)
        let binary = try Self.binary(path, target: "y_scam", score: "p_scam")
        guard case let .array(labels) = Self.member(MultiLabelRenderer.document(report), "labels") else { Issue.record("no labels[]"); return }
        #expect(Self.member(labels[0], "metrics").serialized() == Self.member(binary, "metrics").serialized())
        let one = report.result.perLabel[0], s = report.result.summary
        #expect(s.meanBinaryCrossEntropy == one.metrics.crossEntropy)
        #expect(s.hammingLoss == 1 - one.metrics.accuracy)
        #expect(s.subsetAccuracy == one.metrics.accuracy)
        #expect(s.microECE == one.metrics.ece && s.macroECE == one.metrics.ece)
        #expect(s.value("micro.rocAUC") == one.ranking?.rocAUC && s.value("macro.rocAUC") == one.ranking?.rocAUC)
        #expect(s.value("micro.averagePrecision") == one.ranking?.averagePrecision)
        #expect(s.value("micro.f1") == one.perClass[1].f1 && s.value("macro.f1") == one.perClass[1].f1)
    }

    @Test("the JSON report is the same bytes for 1, 2 and 3 threads", arguments: files)
    func threadInvariance(file: Case) throws {
        let reports = try [1, 2, 3].map { MultiLabelRenderer.json(try Self.multiLabel(file.path, threads: $0)) }
        #expect(reports[0] == reports[1] && reports[1] == reports[2], "\(file.name)")
    }

    @Test("the per-label table is sorted by ECE, worst first")
    func sortedByECE() throws {
        let report = try Self.multiLabel(Self.sample)
        let eces = report.result.labelsByECE.map { report.result.perLabel[$0].metrics.ece }
        #expect(eces == eces.sorted(by: >))
        #expect(report.result.labelsByECE.count == 5)
    }
}
