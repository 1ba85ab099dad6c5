/// A user-given class-weight table for weighted cross-entropy (`--weights FILE`):
/// either a JSON object (`{"fraud": 50, "legit": 1}`) or a CSV/TSV table with
/// a `class` (or `label`) column and a `weight` column.
public enum ClassWeightFile {
    public static func read(_ path: String) throws -> [String: Double] {
        let source = try InputLocation.file(path).open()
        var head = [UInt8](repeating: 0, count: 1 << 16)
        var text: [UInt8] = []
        while true {
            let n = try head.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            text += head[0..<n]
            if text.count > 16 << 20 { throw InputError(.data, file: path, reason: "a class-weight table larger than 16 MiB") }
        }
        let trimmed = text.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if trimmed.first == 0x7B { return try readJSON(Array(trimmed), path: path) }
        return try readTable(path)
    }

    private static func readTable(_ path: String) throws -> [String: Double] {
        let delimiter: UInt8 = path.lowercased().hasSuffix(".tsv") ? 0x09 : 0x2C
        let reader = try DelimitedReader(source: try InputLocation.file(path).open(), name: path, delimiter: delimiter, recordLimit: 1 << 20)
        let lowered = reader.header.map { $0.lowercased() }
        guard let classColumn = lowered.firstIndex(where: { $0 == "class" || $0 == "label" }),
              let weightColumn = lowered.firstIndex(of: "weight") else {
            throw InputError(.data, file: path, line: 1, reason: "a class-weight table needs a 'class' and a 'weight' column (columns: \(InputError.list(reader.header)))")
        }
        var weights: [String: Double] = [:]
        var record = Record()
        while true {
            switch try reader.next(into: &record) {
            case .end: return try nonEmpty(weights, path)
            case let .malformed(line, detail): throw InputError(.data, file: path, line: line, reason: detail)
            case .record:
                guard record.fieldCount == reader.header.count else {
                    throw InputError(file: path, line: record.line, column: nil, value: nil, problem: .fieldCount(expected: reader.header.count, found: record.fieldCount))
                }
                let name = record.string(classColumn)
                weights[name] = try weight(record.string(weightColumn), path: path, line: record.line, column: reader.header[weightColumn], name: name, seen: weights)
            }
        }
    }

    private static func readJSON(_ bytes: [UInt8], path: String) throws -> [String: Double] {
        // One flat object: reuse the JSON Lines reader on it as a single line.
        let oneLine = bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
        let reader = try JSONLinesReader(source: PrefixedSource(prefix: oneLine, rest: EmptySource()), name: path, recordLimit: 16 << 20)
        var record = Record()
        guard case .record = try reader.next(into: &record) else { return [:] }
        var weights: [String: Double] = [:]
        for (i, name) in reader.header.enumerated() {
            weights[name] = try weight(record.string(i), path: path, line: 1, column: name, name: name, seen: weights)
        }
        return try nonEmpty(weights, path)
    }

    private static func weight(_ text: String, path: String, line: Int, column: String, name: String, seen: [String: Double]) throws -> Double {
        if seen[name] != nil {
            throw InputError(.data, file: path, line: line, column: column, value: name, reason: "names a class twice")
        }
        guard case let .value(w) = Array(text.utf8).withUnsafeBufferPointer({ DecimalParser.parse($0) }), w >= 0 else {
            throw InputError(file: path, line: line, column: column, value: text, problem: .negativeWeight)
        }
        return w
    }

    private static func nonEmpty(_ weights: [String: Double], _ path: String) throws -> [String: Double] {
        guard !weights.isEmpty else { throw InputError(.data, file: path, reason: "the class-weight table names no class") }
        return weights
    }
}

/// A source with no bytes.
final class EmptySource: ByteSource {
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int { 0 }
}
