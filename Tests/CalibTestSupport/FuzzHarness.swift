import CalibCore
import CalibInput
import CalibReport

/// What the fuzz targets run, shared with the regression tests so that every
/// crash the fuzzers find is replayed by `swift test`. Each function must
/// return for any input; a trap is a bug.
public enum FuzzHarness {
    public enum Outcome: Equatable, Sendable {
        case audited
        case rejected(Int32)
        /// A property the target checks does not hold (the fuzz driver aborts).
        case broken(String)
    }

    /// CSV/TSV bytes through the reader, the engine and every renderer. The
    /// first byte chooses the options (skip mode, delimiter, logits, chunk
    /// size, a segment column), the rest is the file.
    public static func delimited(_ data: [UInt8]) -> Outcome {
        guard let first = data.first else { return .rejected(0) }
        var options = ReadOptions()
        options.format = .csv
        options.onInvalid = first & 1 == 0 ? .strict : .skip
        options.delimiter = [0x2C, 0x09, 0x3B, 0x7C][Int(first >> 1) & 3]
        options.logits = first & 8 != 0
        options.chunkRows = [1, 3, 64, 8192][Int(first >> 4) & 3]
        if first & 64 != 0 { options.group = "g" }
        if first & 128 != 0 { options.positive = "1" }
        options.recordLimit = 1 << 16
        // Tiny blocks and two threads exercise block cutting and in-order merging.
        options.blockBytes = [16, 61, 1 << 21][data.count % 3]
        options.threads = 1 + data.count % 2
        return audit(Array(data.dropFirst()), name: "fuzz.csv", options: options)
    }

    /// Bytes through the part reader of `calib merge` (SPEC section 14). An
    /// even first byte hands the rest over as a whole part (header, checksum
    /// and all); an odd one wraps the rest in a valid header and checksum, so
    /// the fuzzer reaches the section parsers. Any bytes must be read or
    /// refused (exit 65); the property: a part read back writes the same
    /// bytes again, and finishes and merges with itself.
    public static func partial(_ data: [UInt8]) -> Outcome {
        guard let first = data.first else { return .rejected(0) }
        var bytes = Array(data.dropFirst())
        if first & 1 == 1 {
            var body = PartialWriter()
            body.bytes = bytes
            bytes = PartialStateFormat.wrap(body)
        }
        do {
            switch try AnyPartialPart(decoding: bytes, file: "fuzz.part") {
            case .audit(let part): return try roundTrip(part) { $0.audit.finish(threads: 1) }
            case .multiLabel(let part): return try roundTrip(part) { $0.audit.finish(threads: 1) }
            }
        } catch {
            return .rejected(error.exitCode)
        }
    }

    /// A part read back writes the same bytes, finishes, and merges with itself.
    static func roundTrip<Part: MergeablePart, Result>(_ part: Part, finish: (Part) -> Result) throws(InputError) -> Outcome {
        var part = part
        let written = part.encoded()
        let again: Part
        switch try AnyPartialPart(decoding: written, file: "again.part") {
        case .audit(let read as Part), .multiLabel(let read as Part): again = read
        default: return .broken("a part read back is of another kind")
        }
        guard again.encoded() == written else { return .broken("a part read back writes other bytes") }
        _ = finish(part)
        if part.mismatch(with: again, name: "fuzz.part", otherName: "again.part") != nil { return .broken("a part does not merge with itself") }
        part.merge(again)
        _ = finish(part)
        return .audited
    }

    /// JSON Lines bytes through the reader, the engine and every renderer (first byte: options).
    public static func jsonLines(_ data: [UInt8]) -> Outcome {
        guard let first = data.first else { return .rejected(0) }
        var options = ReadOptions()
        options.format = .jsonl
        options.onInvalid = first & 1 == 0 ? .strict : .skip
        options.logits = first & 2 != 0
        options.chunkRows = [1, 7, 8192, 2][Int(first >> 2) & 3]
        if first & 16 != 0 { options.group = "g" }
        options.recordLimit = 1 << 16
        options.blockBytes = [16, 61, 1 << 21][data.count % 3]
        options.threads = 1 + data.count % 2
        return audit(Array(data.dropFirst()), name: "fuzz.jsonl", options: options)
    }

    /// Label resolution with integer class names: each line of the input after
    /// the first byte is one label, written into a table whose classes are `0`,
    /// `1` (and `2`) in one of five shapes — a binary score with the known pair
    /// 0/1, a binary score with `--positive 1`, two per-class columns, three
    /// per-class columns, `--classes 0,1,2` — as CSV (the label quoted) or JSON
    /// Lines (a string, or a bare token when it is made of number characters).
    /// The first byte chooses the shape, the format, skip mode and the block
    /// size. A first row labelled `0` fixes the binary pair. The property:
    /// exactly the labels spelled `0`, `1` or `2` (a class of the shape) are
    /// kept; any other spelling is an unknown, empty, NUL or invalid label.
    public static func labels(_ data: [UInt8]) -> Outcome {
        guard let first = data.first else { return .rejected(0) }
        let shape = Int(first & 7) % 5
        let json = first & 8 != 0
        let skip = first & 16 != 0
        var options = ReadOptions()
        options.onInvalid = skip ? .skip : .strict
        options.format = json ? .jsonl : .csv
        options.blockBytes = [16, 61, 1 << 21, 200][Int(first >> 5) & 3]
        options.threads = 1 + Int(first >> 7)
        options.recordLimit = 1 << 16
        let names: [String]
        let columns: [String]
        let scores: [String]
        switch shape {
        case 0: names = ["0", "1"]; columns = ["prob"]; scores = ["0.3"]
        case 1: names = ["0", "1"]; columns = ["prob"]; scores = ["0.3"]; options.positive = "1"
        case 2: names = ["0", "1"]; columns = ["p_0", "p_1"]; scores = ["0.7", "0.3"]
        case 3: names = ["0", "1", "2"]; columns = ["p_0", "p_1", "p_2"]; scores = ["0.5", "0.25", "0.25"]
        default:
            names = ["0", "1", "2"]; columns = ["a", "b", "c"]; scores = ["0.5", "0.25", "0.25"]
            options.classes = names
            options.scoreColumns = columns
        }
        let labels = [Array("0".utf8)] + data.dropFirst().split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        var file: [UInt8] = []
        if !json { file += Array((["label"] + columns).joined(separator: ",").utf8) + [0x0A] }
        for label in labels {
            if json {
                file += Array("{\"label\": ".utf8)
                if !label.isEmpty && label.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 == 0x65 || $0 == 0x45 }) {
                    file += label
                } else {
                    file += jsonString(label)
                }
                for (column, score) in zip(columns, scores) { file += Array(", \"\(column)\": \(score)".utf8) }
                file += Array("}\n".utf8)
            } else {
                file += [0x22] + label.flatMap { $0 == 0x22 ? [0x22, 0x22] : [$0] } + [0x22]
                file += Array(("," + scores.joined(separator: ",") + "\n").utf8)
            }
        }
        let kept = labels.filter { names.contains(String(decoding: $0, as: UTF8.self)) && !$0.contains(0) && String(validating: $0, as: UTF8.self) != nil }.count
        do {
            let outcome = try InputAudit.audit(.bytes(file, name: json ? "labels.jsonl" : "labels.csv"), options: options, settings: AuditSettings(bins: 3))
            if outcome.input.rows != kept { return .broken("kept \(outcome.input.rows) rows, but \(kept) labels are class spellings") }
            if outcome.input.skipped.total != labels.count - kept { return .broken("skipped \(outcome.input.skipped.total) of \(labels.count - kept) other labels") }
            return .audited
        } catch let error as InputError {
            _ = error.description
            if !skip && kept == labels.count { return .broken("rejected a file whose labels are all class spellings: \(error)") }
            return .rejected(error.exitCode)
        } catch {
            return .rejected(-1)
        }
    }

    /// `bytes` as a JSON string: quotes, backslashes and control bytes escaped, other bytes as they are.
    private static func jsonString(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for b in bytes {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        return out + [0x22]
    }

    /// A gate expression parsed and evaluated against a small fixed report.
    public static func gate(_ data: [UInt8]) -> Outcome {
        let text = String(decoding: data, as: UTF8.self)
        do {
            let gate = try GateExpression(text, severity: data.count % 2 == 0 ? .error : .warning)
            _ = try GateEvaluator.evaluate([gate], result: reference.result, input: reference.input, segments: reference.segments, minSegmentRows: 2)
            return .audited
        } catch {
            return .rejected(64)
        }
    }

    private static func audit(_ bytes: [UInt8], name: String, options: ReadOptions) -> Outcome {
        do {
            let outcome = try InputAudit.audit(.bytes(bytes, name: name), options: options, settings: AuditSettings(bins: 7))
            let report = Report(input: outcome.input, result: outcome.result, segments: outcome.segments, minSegmentRows: 2)
            _ = JSONReportRenderer.render(report)
            _ = TerminalRenderer.render(report)
            _ = MarkdownRenderer.render(report)
            _ = HTMLRenderer.render(report)
            _ = JUnitRenderer.render([report])
            return .audited
        } catch let error as InputError {
            _ = error.description
            return .rejected(error.exitCode)
        } catch {
            return .rejected(-1)
        }
    }

    /// A small segmented three-class audit for the gate target.
    static let reference: InputAudit.Outcome = {
        let text = "label,p_a,p_b,p_c,g\na,0.7,0.2,0.1,x\nb,0.1,0.8,0.1,x\nc,0.3,0.3,0.4,y\na,0.5,0.25,0.25,y\nb,0.2,0.2,0.6,y\n"
        var options = ReadOptions()
        options.group = "g"
        return try! InputAudit.audit(.bytes(Array(text.utf8), name: "reference.csv"), options: options)
    }()
}
