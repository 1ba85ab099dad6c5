/// Approximate comparison for numeric expectations: `|a − b| ≤ max(absolute, relative · |b|)`.
/// `nil` equals `nil`; NaN equals NaN (both "undefined").
public func isClose(_ a: Double?, _ b: Double?, relative: Double = 1e-9, absolute: Double = 1e-12) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (x?, y?):
        if x.isNaN && y.isNaN { return true }
        if x == y { return true }
        return Swift.abs(x - y) <= Swift.max(absolute, relative * Swift.abs(y))
    default: return false
    }
}

/// The relative difference `|a − b| / |b|` (absolute when `b == 0`), for failure messages.
public func relativeDifference(_ a: Double, _ b: Double) -> Double {
    b == 0 ? Swift.abs(a) : Swift.abs(a - b) / Swift.abs(b)
}
