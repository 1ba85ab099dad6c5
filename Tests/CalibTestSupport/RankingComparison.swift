public import CalibCore

/// Every number of a value, found by reflection (doubles, integers,
/// booleans, the elements and counts of arrays, optionals), each with the
/// path that leads to it: what two rankings are compared by, bit for bit.
public func numericFields(of value: Any, path: String = "") -> [(path: String, value: Double, bits: UInt64)] {
    if let d = value as? Double { return [(path, d, d.bitPattern)] }
    if let b = value as? Bool { return [(path, b ? 1 : 0, b ? 1 : 0)] }
    if let i = value as? Int { return [(path, Double(i), UInt64(bitPattern: Int64(i)))] }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
        guard let wrapped = mirror.children.first else { return [(path + "?", .nan, 0xDEAD_BEEF)] }
        return numericFields(of: wrapped.value, path: path)
    case .collection:
        return [(path + ".count", Double(mirror.children.count), UInt64(mirror.children.count))]
            + mirror.children.enumerated().flatMap { numericFields(of: $1.value, path: path + "[\($0)]") }
    default:
        return mirror.children.enumerated().flatMap { numericFields(of: $1.value, path: path + "." + ($1.label ?? "\($0)")) }
    }
}

/// The fields in which two rankings differ, described (empty when they
/// agree): bit for bit when `relative` is `nil`, else within `relative`
/// (relative or absolute). NaN equals NaN.
public func rankingDifferences(_ a: RankingMetrics, _ b: RankingMetrics, relative: Double? = nil, ignoringCurves: Bool = false) -> [String] {
    let keep: (String) -> Bool = { path in !ignoringCurves || !path.contains("Curve") }
    let x = numericFields(of: a).filter { keep($0.path) }, y = numericFields(of: b).filter { keep($0.path) }
    if x.map(\.path) != y.map(\.path) {
        let first = zip(x, y).first { $0.path != $1.path }.map { "\($0.path) vs \($1.path)" } ?? "\(x.count) vs \(y.count) fields"
        return ["different fields: " + first]
    }
    return zip(x, y).compactMap { l, r in
        let same = relative.map { isClose(l.value, r.value, relative: $0, absolute: $0) } ?? (l.bits == r.bits)
        return same ? nil : "\(l.path): \(l.value) vs \(r.value)"
    }
}
