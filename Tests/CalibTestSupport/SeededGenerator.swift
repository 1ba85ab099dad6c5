/// SplitMix64: a small, fast, seeded generator so that every random test is
/// repeatable; tests print the seed in their failure messages.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public let seed: UInt64
    private var state: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal deviate (Box–Muller).
    public mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * logarithm(u)).squareRoot() * cosine(2 * Double.pi * v)
    }
}

// Tiny libm-free helpers so the support module needs nothing but the standard library.
private func logarithm(_ x: Double) -> Double {
    // ln x = 2 atanh((x − 1)/(x + 1)) after scaling by powers of two.
    var m = x
    var e = 0.0
    while m > 2 { m /= 2; e += 1 }
    while m < 1 { m *= 2; e -= 1 }
    let t = (m - 1) / (m + 1)
    var term = t
    var sum = 0.0
    var k = 1.0
    while Swift.abs(term) > 1e-17 {
        sum += term / k
        term *= t * t
        k += 2
    }
    return 2 * sum + e * 0.693_147_180_559_945_3
}

private func cosine(_ x: Double) -> Double {
    var y = x.truncatingRemainder(dividingBy: 2 * Double.pi)
    if y > Double.pi { y -= 2 * Double.pi }
    var term = 1.0
    var sum = 1.0
    var n = 0.0
    while Swift.abs(term) > 1e-17 {
        n += 2
        term *= -y * y / ((n - 1) * n)
        sum += term
    }
    return sum
}
