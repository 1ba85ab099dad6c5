import CalibTestSupport
import Foundation
import Testing

/// `calib audit --partial-out` and `calib merge` (SPEC section 14): an input
/// split into parts, each audited apart with its `--row-offset`, merges (flat,
/// as a tree of merges, in any order) to the JSON report of the single audit:
/// counts equal, values within 1e-12 relative, intervals from the same
/// replicates; only the source and the worst and skipped rows' lines (each
/// its part's own) differ. Damaged and mismatched parts are refused.
@Suite("calib merge")
struct MergeCLITests {
    /// An input to split, the audit's flags, and whether it has a header line.
    struct Fixture: CustomTestStringConvertible, Sendable {
        let name: String
        let file: String
        let arguments: [String]
        let header: Bool
        let seed: UInt64
        var testDescription: String { name }
        var suffix: String { (file as NSString).pathExtension }
    }

    static let fixtures: [Fixture] = [
        Fixture(name: "binary with ids", file: "SampleData/fraud_transactions.csv", arguments: [], header: true, seed: 1),
        Fixture(name: "weighted binary", file: "SampleData/fraud_downsampled_weighted.csv", arguments: ["--weight", "weight", "--positive", "1"], header: true, seed: 2),
        Fixture(name: "multiclass logits (JSON Lines)", file: "SampleData/news_topics_logits.jsonl", arguments: [], header: false, seed: 3),
        Fixture(name: "TSV with segments", file: "segments.tsv", arguments: ["--group", "region"], header: true, seed: 4),
        Fixture(name: "skipped rows and segments", file: "skipped.csv", arguments: ["--on-invalid", "skip", "--group", "region"], header: true, seed: 5),
        Fixture(name: "golden binary", file: "Tests/CalibCoreTests/Golden/binary_01.csv", arguments: [], header: true, seed: 6),
        Fixture(name: "soft targets", file: "SampleData/distillation/digits_distillation.csv", arguments: [], header: true, seed: 7),
        Fixture(name: "soft targets, no label column", file: "targets-only.csv", arguments: [], header: true, seed: 8),
        Fixture(name: "multi-label", file: "SampleData/multilabel/spam_categories.csv", arguments: ["--multilabel"], header: true, seed: 9),
    ]

    /// Audit flags every run shares: fewer replicates, to keep the suite quick.
    static let common = ["--bootstrap", "40", "--seed", "9", "--threads", "2"]

    /// The fixture's lines. `segments.tsv` is the spam sample with a `region`
    /// column (a segment per row number mod 5); `skipped.csv` the first 4,000 rows
    /// of the fraud sample with one too, and six bad rows; `targets-only.csv`
    /// the distillation sample without its label column (or, with `targets: false`, without its targets).
    static func lines(_ f: Fixture, in folder: URL) throws -> [String] {
        func withRegion(_ file: String, _ separator: String) throws -> [String] {
            let lines = try String(contentsOfFile: TestPaths.packageRoot + "/SampleData/" + file, encoding: .utf8).split(separator: "\n").map(String.init)
            return lines.enumerated().map { i, line in line + separator + (i == 0 ? "region" : "r\(i * 7 % 5)") }
        }
        if f.file == "segments.tsv" { return try withRegion("spam_messages.tsv", "\t") }
        if f.file == "targets-only.csv" { return try distillation(keeping: { $0 != "label" }) }
        if f.file == "skipped.csv" {
            var lines = Array(try withRegion("fraud_transactions.csv", ",").prefix(4_001))
            for i in [3, 50, 51, 1_999, 3_000] { lines[i] = "tx-bad-\(i),legit,abc,r1" }
            lines[700] = "tx-bad-700,,0.5,r2"
            return lines
        }
        return try String(contentsOfFile: TestPaths.packageRoot + "/" + f.file, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The distillation sample's lines with only the columns whose header `keep` accepts.
    static func distillation(keeping keep: (Substring) -> Bool) throws -> [String] {
        let lines = try String(contentsOfFile: TestPaths.packageRoot + "/SampleData/distillation/digits_distillation.csv", encoding: .utf8).split(separator: "\n")
        let kept = lines[0].split(separator: ",").indices.filter { keep(lines[0].split(separator: ",")[$0]) }
        return lines.map { line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return kept.map { String(fields[$0]) }.joined(separator: ",")
        }
    }

    /// Writes the fixture whole and cut at `cuts` (data-line indices); returns the whole file and each part with its row offset.
    static func split(_ f: Fixture, cuts: [Int], in folder: URL) throws -> (whole: String, parts: [(file: String, offset: Int)]) {
        let all = try lines(f, in: folder)
        let header = f.header ? [all[0]] : []
        let data = Array(all.dropFirst(header.count))
        let whole = folder.appendingPathComponent("whole.\(f.suffix)").path
        try (all.joined(separator: "\n") + "\n").write(toFile: whole, atomically: true, encoding: .utf8)
        let bounds = ([0] + cuts + [data.count])
        var parts: [(String, Int)] = []
        for (i, (lower, upper)) in zip(bounds, bounds.dropFirst()).enumerated() {
            let path = folder.appendingPathComponent("part\(i).\(f.suffix)").path
            try ((header + data[lower..<upper]).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            parts.append((path, lower))
        }
        return (whole, parts)
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("calib-merge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every leaf of a JSON document by its path (`/a/b[2]/c`).
    static func leaves(_ json: Any, _ path: String = "", into out: inout [String: Any]) {
        if let object = json as? [String: Any] {
            for (k, v) in object { leaves(v, path + "/" + k, into: &out) }
        } else if let array = json as? [Any] {
            out[path + "#"] = array.count
            for (i, v) in array.enumerated() { leaves(v, path + "[\(i)]", into: &out) }
        } else {
            out[path] = json
        }
    }

    /// The leaves where two reports differ beyond 1e-12 relative (or 1e-14
    /// absolute: a reliability gap or an interval of underconfidence is a
    /// difference of two probability-scale sums, each exact to ~1e-16, so its
    /// relative error can exceed 1e-12 when it is near 0), leaving out the
    /// source and the lines of worst and skipped rows (each part's own).
    static func differences(_ a: String, _ b: String) throws -> [String] {
        var x: [String: Any] = [:], y: [String: Any] = [:]
        leaves(try JSONSerialization.jsonObject(with: Data(a.utf8)), into: &x)
        leaves(try JSONSerialization.jsonObject(with: Data(b.utf8)), into: &y)
        let ignored = try Regex(#"^/input/source$|^(/labels\[\d+\])?/worstRows\[\d+\]/(line|source)$|^/input/skipped\[\d+\]/examples"#)
        var found: [String] = []
        for key in Set(x.keys).union(y.keys).sorted() where key.firstMatch(of: ignored) == nil {
            switch (x[key], y[key]) {
            case let (u as NSNumber, v as NSNumber):
                let p = u.doubleValue, q = v.doubleValue
                if !(p == q || (p.isNaN && q.isNaN) || abs(p - q) <= max(1e-12 * max(abs(p), abs(q)), 1e-14)) { found.append("\(key): \(p) vs \(q)") }
            case let (u?, v?):
                if "\(u)" != "\(v)" { found.append("\(key): \(u) vs \(v)") }
            default:
                found.append("\(key): only in one")
            }
        }
        return found
    }

    /// Each merged worst row names the part it came from (with several
    /// parts) and its line there, which is the single audit's line less the
    /// part's offset: the same rows, each found in its own input.
    static func expectWorstRowsNameTheirPart(single: String, merged: String, pieces: [(file: String, offset: Int)]) throws {
        /// The report's worst rows, each with the label whose audit lists it (`""` for a single-label report).
        func rows(_ json: String) throws -> [(label: String, row: [String: Any])] {
            let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
            let labels = (report?["labels"] as? [[String: Any]]) ?? []
            return (((report?["worstRows"] as? [[String: Any]]) ?? []).map { ("", $0) })
                + labels.enumerated().flatMap { i, label in ((label["worstRows"] as? [[String: Any]]) ?? []).map { ("label \(i)", $0) } }
        }
        let offsets = Dictionary(pieces.map { ($0.file, $0.offset) }, uniquingKeysWith: { a, _ in a })
        let singleRows = try rows(single)
        #expect(!singleRows.isEmpty)
        let expected = Set(singleRows.map { "\($0.label): \($0.row["crossEntropy"]!) at \($0.row["line"]!)" })
        var found = Set<String>()
        for (label, row) in try rows(merged) {
            let line = row["line"] as! Int
            if pieces.count > 1 {
                let source = row["source"] as? String
                #expect(source.map { offsets[$0] != nil } == true, "a merged worst row names its part: \(String(describing: source))")
                found.insert("\(label): \(row["crossEntropy"]!) at \(line + (source.flatMap { offsets[$0] } ?? 0))")
            } else {
                #expect(row["source"] is NSNull, "one part: the report's own input")
                found.insert("\(label): \(row["crossEntropy"]!) at \(line + pieces[0].offset)")
            }
        }
        #expect(found == expected, "the merged worst rows are the single audit's, by part and line")
    }

    static func audit(_ args: [String]) throws -> CalibRun {
        let run = try CalibRun(["audit"] + args + common)
        #expect(run.status == 0 || run.status == 1, "\(run.stderr)")
        return run
    }

    /// Audits each part to `<part>.part` with its offset; returns the part files.
    static func parts(_ f: Fixture, _ pieces: [(file: String, offset: Int)]) throws -> [String] {
        try pieces.map { piece in
            let part = piece.file + ".part"
            let run = try audit([piece.file, "--partial-out", part, "--row-offset", "\(piece.offset)"] + f.arguments)
            #expect(run.stdout.isEmpty, "no report without -o")
            return part
        }
    }

    static func merge(_ args: [String]) throws -> CalibRun {
        let run = try CalibRun(["merge"] + args)
        #expect(run.status == 0, "\(run.stderr)")
        return run
    }

    @Test("parts cut at random points (1–7) merge, flat and as left and right trees of merges, to the single audit's JSON", arguments: fixtures)
    func mergesToTheSingleAudit(f: Fixture) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SeededGenerator(seed: f.seed)
        let dataLines = try Self.lines(f, in: folder).count - (f.header ? 1 : 0)
        let count = Int.random(in: 1...7, using: &random)
        let cuts = Set((1..<count).map { _ in Int.random(in: 1..<dataLines, using: &random) }).sorted()
        let (whole, pieces) = try Self.split(f, cuts: cuts, in: folder)
        let single = try Self.audit([whole, "--format", "json"] + f.arguments)
        let parts = try Self.parts(f, pieces)

        let flat = try Self.merge(parts + ["--format", "json"])
        let flatDifferences = try Self.differences(single.stdout, flat.stdout)
        #expect(flatDifferences == [], "\(parts.count) parts, flat")
        try Self.expectWorstRowsNameTheirPart(single: single.stdout, merged: flat.stdout, pieces: pieces)

        // ((p0 p1) p2) … and p0 (p1 (p2 …)): merges of merges through --partial-out.
        var left = parts[0]
        for (i, part) in parts.dropFirst().enumerated() {
            let next = folder.appendingPathComponent("left\(i).part").path
            _ = try Self.merge([left, part, "--partial-out", next])
            left = next
        }
        let leftDifferences = try Self.differences(single.stdout, Self.merge([left, "--format", "json"]).stdout)
        #expect(leftDifferences == [], "left tree")
        var right = parts[parts.count - 1]
        for (i, part) in parts.dropLast().enumerated().reversed() {
            let next = folder.appendingPathComponent("right\(i).part").path
            _ = try Self.merge([part, right, "--partial-out", next])
            right = next
        }
        let rightDifferences = try Self.differences(single.stdout, Self.merge([right, "--format", "json"]).stdout)
        #expect(rightDifferences == [], "right tree")
    }

    @Test("parts merged in another order give the same metrics and intervals as the single audit")
    func anyOrder() throws {
        let f = Self.fixtures[0]
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (whole, pieces) = try Self.split(f, cuts: [3_000, 11_000, 15_500], in: folder)
        let single = try Self.audit([whole, "--format", "json"])
        let parts = try Self.parts(f, pieces)
        let shuffled = try Self.merge([parts[2], parts[0], parts[3], parts[1], "--format", "json"])
        let ignored = try Self.differences(single.stdout, shuffled.stdout).filter { !$0.hasPrefix("/worstRows") }
        #expect(ignored == [])
    }

    @Test("a binary part that met no negative label (--positive) merges with the others and takes their negative class's name")
    func partWithoutNegatives() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = try String(contentsOfFile: TestPaths.packageRoot + "/SampleData/fraud_transactions.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let mixed = Array(lines[1..<3_001]), frauds = lines.dropFirst().filter { $0.contains(",fraud,") }
        #expect(frauds.count > 100)
        var files: [String] = []
        for (name, rows) in [("whole.csv", mixed + frauds), ("a.csv", mixed), ("b.csv", frauds)] {
            let path = folder.appendingPathComponent(name).path
            try (([lines[0]] + rows).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            files.append(path)
        }
        let flags = ["--positive", "fraud"]
        let single = try Self.audit([files[0], "--format", "json"] + flags)
        _ = try Self.audit([files[1], "--partial-out", files[1] + ".part"] + flags)
        _ = try Self.audit([files[2], "--partial-out", files[2] + ".part", "--row-offset", "3000"] + flags)
        for order in [[files[1], files[2]], [files[2], files[1]]] {
            let merged = try Self.merge(order.map { $0 + ".part" } + ["--format", "json"])
            #expect(merged.stdout.contains("\"classes\": [\"legit\", \"fraud\"]"))
            if order[0] == files[1] { #expect(try Self.differences(single.stdout, merged.stdout) == []) }
        }
    }

    @Test("a part with soft targets and one without, or with hard labels from the targets' argmax, are refused naming the difference")
    func softTargetsMustAgree() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let variants: [(name: String, keep: (Substring) -> Bool)] = [
            ("targets.csv", { _ in true }), ("no-targets.csv", { !$0.hasPrefix("t_") }), ("targets-only.csv", { $0 != "label" }),
        ]
        for v in variants {
            let path = folder.appendingPathComponent(v.name).path
            try (Self.distillation(keeping: v.keep).joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            _ = try Self.audit([path, "--partial-out", path + ".part"])
        }
        let cases: [(second: String, message: String)] = [
            ("no-targets.csv", "has target columns none, \"targets.csv.part\" has t_0,t_1,"),
            ("targets-only.csv", "has label column (argmax of the targets), \"targets.csv.part\" has label"),
        ]
        for c in cases {
            let run = try CalibRun(["merge", "targets.csv.part", c.second + ".part"], directory: folder.path)
            #expect(run.status == 64, "\(c.second)")
            #expect(run.stderr.contains(c.message), "\(run.stderr)")
        }
    }

    @Test("a multi-label part and a single-label one are refused, naming the kinds; multi-label parts of other labels too")
    func kindsMustAgree() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let multi = TestPaths.packageRoot + "/SampleData/multilabel/spam_categories.csv"
        let lines = try String(contentsOfFile: multi, encoding: .utf8).split(separator: "\n")
        // The same file without its last label (scam): its y_ and p_ columns dropped.
        let header = lines[0].split(separator: ",")
        let kept = header.indices.filter { !header[$0].hasSuffix("_scam") }
        let fewer = folder.appendingPathComponent("fewer.csv").path
        try (lines.map { line in kept.map { String(line.split(separator: ",", omittingEmptySubsequences: false)[$0]) }.joined(separator: ",") }
            .joined(separator: "\n") + "\n").write(toFile: fewer, atomically: true, encoding: .utf8)
        #expect(kept.count == header.count - 2)
        _ = try Self.audit([multi, "--multilabel", "--partial-out", folder.appendingPathComponent("multi.part").path])
        _ = try Self.audit([fewer, "--multilabel", "--partial-out", folder.appendingPathComponent("fewer.part").path])
        _ = try Self.audit(["SampleData/spam_messages.tsv", "--partial-out", folder.appendingPathComponent("single.part").path])
        let cases: [(parts: [String], message: String)] = [
            (["multi.part", "single.part"], "part \"single.part\" is a single-label audit, \"multi.part\" is not"),
            (["single.part", "multi.part"], "part \"multi.part\" is a multi-label audit (--multilabel), \"single.part\" is not"),
            (["multi.part", "fewer.part"], "part \"fewer.part\" has labels [spam, phishing, adult, promo], \"multi.part\" has [spam, phishing, adult, promo, scam]"),
        ]
        for c in cases {
            let run = try CalibRun(["merge"] + c.parts, directory: folder.path)
            #expect(run.status == 64, "\(c.parts)")
            #expect(run.stderr.contains(c.message), "\(run.stderr)")
        }
    }

    /// A part of format version 1 (byte-wise checksum, dense bootstrap grid),
    /// written by calib at 0871299 from the sample's first 300 rows with
    /// `--bootstrap 3 --seed 5`; and what calib reported for the single audit
    /// of those rows with those flags (at 34c4a45, before format version 5
    /// changed how the counts are drawn).
    static let versionOne = (part: TestPaths.packageRoot + "/Tests/CalibCLITests/Parts/fraud_head300_v1.part",
                             single: TestPaths.packageRoot + "/Tests/CalibCLITests/Parts/fraud_head300_v1.expected.json")

    @Test("a part of format version 1 (byte-wise checksum, dense bootstrap grid) merges to the single audit of the calib of its draws")
    func versionOnePart() throws {
        #expect(try Data(contentsOf: URL(fileURLWithPath: Self.versionOne.part))[8] == 1)
        let single = try String(contentsOfFile: Self.versionOne.single, encoding: .utf8)
        let merged = try CalibRun(["merge", Self.versionOne.part, "--format", "json"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(single.contains("\"intervals\""))
        #expect(try Self.differences(single, merged.stdout) == [])
    }

    @Test("a part of format version 4 or older does not merge with this calib's: their bootstrap counts are drawn differently (exit 64)")
    func olderDrawsDoNotMerge() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = try String(contentsOfFile: TestPaths.packageRoot + "/SampleData/fraud_transactions.csv", encoding: .utf8).split(separator: "\n")
        let next = folder.appendingPathComponent("fraud_next300.csv").path
        try ([lines[0]] + lines[301..<601]).joined(separator: "\n").appending("\n").write(toFile: next, atomically: true, encoding: .utf8)
        let part = next + ".part"
        let written = try CalibRun(["audit", next, "--bootstrap", "3", "--seed", "5", "--row-offset", "300", "--partial-out", part])
        #expect(written.status == 0, "\(written.stderr)")
        let merged = try CalibRun(["merge", Self.versionOne.part, part, "--format", "json"])
        #expect(merged.status == 64)
        #expect(merged.stderr.contains("bootstrap counts drawn by this calib (partial-state format 5)"), "\(merged.stderr)")
        #expect(merged.stderr.contains("an older calib (partial-state format 4 or older: write that part again with this calib)"), "\(merged.stderr)")
    }

    @Test("without --row-offset the merged intervals come from other replicates")
    func offsetMatters() throws {
        let f = Self.fixtures[0]
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (whole, pieces) = try Self.split(f, cuts: [10_000], in: folder)
        let single = try Self.audit([whole, "--format", "json"])
        var parts: [String] = []
        for piece in pieces {
            _ = try Self.audit([piece.file, "--partial-out", piece.file + ".part"])
            parts.append(piece.file + ".part")
        }
        let merged = try Self.merge(parts + ["--format", "json"])
        let differences = try Self.differences(single.stdout, merged.stdout)
        #expect(differences.contains { $0.hasPrefix("/intervals") })
        #expect(!differences.contains { $0.hasPrefix("/metrics") })
    }

    @Test("--partial-out - writes the part to standard output; a report is written where -o asks, and gates run on merge")
    func standardOutputAndGates() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("r.json").path
        let run = try Self.audit(["SampleData/spam_messages.tsv", "--partial-out", "-", "-o", report])
        #expect(run.stdout.hasPrefix("CALIBPRT"))
        #expect(FileManager.default.fileExists(atPath: report))
        let part = folder.appendingPathComponent("p.part").path
        _ = try Self.audit(["SampleData/spam_messages.tsv", "--partial-out", part])
        let gated = try CalibRun(["merge", part, "--fail-on", "ece>0", "--format", "json"])
        #expect(gated.status == 1)
        #expect(gated.stdout.contains("\"gates\""))
    }

    struct Refusal: CustomTestStringConvertible, Sendable {
        let name: String
        /// Arguments of the second part's audit.
        let second: [String]
        /// Bytes done to the second part.
        let damage: @Sendable (inout [UInt8]) -> Void
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "other bins", second: ["--bins", "10"], damage: { _ in }, status: 64, message: "part \"b.part\" has bins 10, \"a.part\" has 15"),
        Refusal(name: "other seed", second: ["--seed", "3"], damage: { _ in }, status: 64, message: "has seed 3, \"a.part\" has 9"),
        Refusal(name: "other memory budget", second: ["--memory-budget", "1M"], damage: { _ in }, status: 64, message: "memory budget 1048576"),
        Refusal(name: "other classes", second: ["--file", "SampleData/fraud_transactions.csv"], damage: { _ in }, status: 64, message: "has classes [legit, fraud], \"a.part\" has [ham, spam]"),
        Refusal(name: "truncated", second: [], damage: { $0.removeLast(100) }, status: 65, message: "b.part: truncated"),
        Refusal(name: "corrupted", second: [], damage: { $0[$0.count / 2] ^= 1 }, status: 65, message: "b.part: corrupted"),
        Refusal(name: "not a part", second: [], damage: { $0[0] = 0x41 }, status: 65, message: "b.part: not a calib partial state"),
        Refusal(name: "future version", second: [], damage: { $0[8] = 9 }, status: 65, message: "b.part: written in partial-state format version 9"),
    ]

    @Test("a mismatched part is a usage error naming the difference; a damaged one is exit 65 naming the file", arguments: refusals)
    func refused(c: Refusal) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, extra) in [("a.part", [String]()), ("b.part", c.second)] {
            // `--file F` (first) audits another input for the second part.
            let file = extra.first == "--file" ? extra[1] : "SampleData/spam_messages.tsv"
            let flags = extra.first == "--file" ? Array(extra.dropFirst(2)) : extra
            let run = try CalibRun(["audit", TestPaths.packageRoot + "/" + file, "--partial-out", name] + Self.common + flags, directory: folder.path)
            #expect(run.status == 0, "\(run.stderr)")
        }
        let b = folder.appendingPathComponent("b.part")
        var bytes = [UInt8](try Data(contentsOf: b))
        c.damage(&bytes)
        try Data(bytes).write(to: b)
        let run = try CalibRun(["merge", "a.part", "b.part"], directory: folder.path)
        #expect(run.status == c.status)
        #expect(run.stderr.contains(c.message), "\(run.stderr)")
    }

    struct HugeFile: CustomTestStringConvertible, Sendable {
        let name: String
        /// Whether the file starts with a real part's bytes (else it is all zeros).
        let startsWithPart: Bool
        let message: String
        var testDescription: String { name }
    }

    static let hugeFiles: [HugeFile] = [
        HugeFile(name: "a part followed by a terabyte of holes", startsWithPart: true, message: "1099511627776 bytes where its header states"),
        HugeFile(name: "a terabyte of holes", startsWithPart: false, message: "not a calib partial state"),
    ]

    @Test("a part file whose size is not the one its header states is refused (exit 65) before its bytes are read, however large", arguments: hugeFiles)
    func hugeFile(c: HugeFile) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("huge.part").path
        if c.startsWithPart {
            let run = try CalibRun(["audit", TestPaths.packageRoot + "/SampleData/spam_messages.tsv", "--partial-out", path])
            #expect(run.status == 0, "\(run.stderr)")
        } else {
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
        }
        // A sparse file: its size is a terabyte, its disk use what was written.
        #expect(truncate(path, 1 << 40) == 0)
        let run = try CalibRun(["merge", path])
        #expect(run.status == 65)
        #expect(run.stderr.contains(c.message), "\(run.stderr)")
    }

    struct Usage: CustomTestStringConvertible, Sendable {
        let arguments: [String]
        let status: Int32
        let message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let usages: [Usage] = [
        Usage(arguments: ["audit", "SampleData/spam_messages.tsv", "--partial-out", "x.part", "--fail-on", "ece>0.1"], status: 64, message: "prints no report"),
        Usage(arguments: ["audit", "SampleData/spam_messages.tsv", "SampleData/fraud_transactions.csv", "--partial-out", "x.part"], status: 64, message: "the state of one input"),
        Usage(arguments: ["audit", "SampleData/spam_messages.tsv", "--partial-out", "x.part", "--recalibrate", "platt"], status: 64, message: "cannot be merged from parts"),
        Usage(arguments: ["audit", "SampleData/spam_messages.tsv", "--row-offset", "-1"], status: 64, message: "--row-offset \"-1\""),
        Usage(arguments: ["merge", "no-such.part"], status: 66, message: "no-such.part"),
    ]

    @Test("flags that cannot go together, and a missing part, are refused", arguments: usages)
    func usage(c: Usage) throws {
        let run = try CalibRun(c.arguments)
        #expect(run.status == c.status)
        #expect(run.stderr.contains(c.message), "\(run.stderr)")
    }
}
