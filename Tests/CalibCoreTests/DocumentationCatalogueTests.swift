import CalibCore
import CalibTestSupport
import Foundation
import Testing

/// The engine's DocC catalogue (`Sources/CalibCore/CalibCore.docc`) is where
/// every metric is defined: a metric, or a loss, that no article names as
/// code fails here. `swift package generate-documentation --target CalibCore
/// --warnings-as-errors` checks the symbol links; these tests check coverage.
@Suite("Documentation catalogue")
struct DocumentationCatalogueTests {
    static let catalogue = TestPaths.packageRoot + "/Sources/CalibCore/CalibCore.docc"
    /// One article per metric family, by file name.
    static let articles = ["Loss", "Decisions", "Calibration", "Ranking", "Intervals", "ImbalanceLosses", "WeightsMergingAndExactness"]
    /// The sections every article has.
    static let sections = ["## Overview", "## Edge cases", "## Reference", "## Where calib differs"]

    static func page(_ name: String) throws -> String {
        try String(contentsOfFile: catalogue + "/" + name + ".md", encoding: .utf8)
    }

    /// The names written as inline code (`` `name` ``) anywhere in the articles.
    static func codeSpans() throws -> Set<String> {
        var spans = Set<String>()
        for name in articles {
            let parts = try page(name).split(separator: "`", omittingEmptySubsequences: false)
            // Odd-numbered parts lie between a pair of backticks; fences and
            // double-backtick symbol links leave empty parts, which are skipped.
            for (i, part) in parts.enumerated() where i % 2 == 1 && !part.isEmpty && !part.contains("\n") {
                spans.insert(String(part))
            }
        }
        return spans
    }

    /// The metric keys the engine reports for a small task of this kind
    /// (``Metrics/namedValues``: the JSON `metrics` object, nested averages as `macro.f1`).
    static func engineMetricKeys(_ task: TaskKind) -> [String] {
        let k = task == .binary ? 2 : 3
        let shape = ClassificationShape(classCount: k, scoreKind: .probabilities)
        var table = PredictionTable(shape: shape)
        if task == .binary {
            table.append(label: 0, scores: [0.3], line: 2)
            table.append(label: 1, scores: [0.8], line: 3)
        } else {
            table.append(label: 0, scores: [0.5, 0.3, 0.2], line: 2)
            table.append(label: 2, scores: [0.1, 0.3, 0.6], line: 3)
        }
        var accumulator = AuditAccumulator(shape: shape)
        accumulator.add(table)
        return accumulator.result(classNames: (0..<k).map { "c\($0)" }).metrics.namedValues.map(\.key)
    }

    @Test("the landing page documents the CalibCore module and links every article, and no other")
    func landingPage() throws {
        let landing = try Self.page("CalibCore")
        #expect(landing.hasPrefix("# ``CalibCore``\n"))
        let linked = landing.components(separatedBy: "<doc:").dropFirst().compactMap { $0.split(separator: ">").first.map(String.init) }
        #expect(Set(linked) == Set(Self.articles))
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.catalogue)
            .filter { $0.hasSuffix(".md") }.map { String($0.dropLast(3)) }
        #expect(Set(files) == Set(Self.articles + ["CalibCore"]), "every .md file is the landing page or a listed article")
    }

    @Test("every article has a summary, the formulas, edge cases, a reference and where calib differs", arguments: articles)
    func articleSections(article: String) throws {
        let text = try Self.page(article)
        #expect(text.hasPrefix("# "), "\(article) starts with its title")
        for section in Self.sections {
            #expect(text.contains("\n" + section + "\n"), "\(article) has '\(section)'")
        }
        #expect(text.contains("```\n"), "\(article) writes its formulas in a code block")
    }

    @Test("every metric key the engine reports is defined in an article", arguments: [TaskKind.binary, .multiclass])
    func engineKeys(task: TaskKind) throws {
        let spans = try Self.codeSpans()
        let keys = Self.engineMetricKeys(task)
        #expect(keys.count >= 20)
        let missing = keys.filter { !spans.contains($0) }
        #expect(missing.isEmpty, "no article names these \(task) metrics as code: \(missing)")
    }

    @Test("every metric key of the golden reference values is defined in an article")
    func goldenKeys() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.golden + "/expected.json"))
        let fixtures = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        var keys = Set<String>()
        for fixture in fixtures.values {
            let metrics = try #require(fixture["metrics"] as? [String: Any])
            keys.formUnion(metrics.keys)
        }
        #expect(keys.contains("positiveClassECE") && keys.contains("macro.f1"))
        let missing = keys.subtracting(try Self.codeSpans()).sorted()
        #expect(missing.isEmpty, "no article names these metrics as code: \(missing)")
    }

    @Test("every loss the audit evaluates is defined in an article")
    func lossNames() throws {
        let spans = try Self.codeSpans()
        let missing = Set(LossSpecification.auditDefaults.map(\.name)).subtracting(spans).sorted()
        #expect(missing.isEmpty, "no article names these losses as code: \(missing)")
    }

    @Test("every key of the ranking object is defined in the Ranking article")
    func rankingKeys() throws {
        let page = try Self.page("Ranking")
        let keys = RankingKey.all.map(\.member) + RankingKey.perClass.map(\.member) + RankingKey.lists.map(\.member)
            + RankingKey.cost.map(\.name) + ["exact"]
        let missing = keys.filter { !page.contains("`\($0)") }
        #expect(missing.isEmpty, "the Ranking article does not name these as code: \(missing)")
    }
}
