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
