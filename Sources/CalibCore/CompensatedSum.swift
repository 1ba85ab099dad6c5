/// A running sum with Neumaier's compensation, so that adding millions of
/// terms of mixed size loses no more than a couple of ulps.
///
/// ```
/// t = s + x
/// c += |s| ≥ |x| ? (s − t) + x : (x − t) + s
/// s = t            value = s + c
/// ```
/// Reference: A. Neumaier (1974), "Rundungsfehleranalyse einiger Verfahren zur
/// Summation endlicher Summen". Merging two sums adds both parts, so a sum
/// built in chunks agrees with a sequential one far below 1e-12 relative.
public struct CompensatedSum: Sendable, Hashable {
    @usableFromInline var sum: Double = 0
    @usableFromInline var compensation: Double = 0

    @inlinable public init() {}
    @inlinable public init(_ value: Double) { sum = value }

    /// The compensated value of the sum.
    @inlinable public var value: Double { sum + compensation }

    @inlinable
    public mutating func add(_ x: Double) {
        let t = sum + x
        if Swift.abs(sum) >= Swift.abs(x) {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    /// Adds another sum (both its running value and its compensation).
    @inlinable
    public mutating func merge(_ other: CompensatedSum) {
        add(other.sum)
        compensation += other.compensation
    }

    @inlinable
    public static func += (lhs: inout CompensatedSum, rhs: Double) { lhs.add(rhs) }
}
