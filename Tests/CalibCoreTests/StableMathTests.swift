import CalibCore
import CalibTestSupport
import Testing

@Suite("Stable maths")
struct StableMathTests {
    @Test("binaryLogit gives sigmoid and logSigmoid of z and −z bit for bit")
    func binaryLogitMatchesSeparateFunctions() {
        var rng = SeededGenerator(seed: 11)
        var logits: [Double] = [0, -0.0, 1e-300, -1e-300, 1, -1, 36.7, -36.7, 40, -40, 709, -709, 745, -745, 1e308, -1e308]
        for _ in 0..<20_000 { logits.append(Double.random(in: -60...60, using: &rng)) }
        for z in logits {
            let all = StableMath.binaryLogit(z)
            #expect(all.positive.bitPattern == StableMath.sigmoid(z).bitPattern, "σ(\(z))")
            #expect(all.negative.bitPattern == StableMath.sigmoid(-z).bitPattern, "σ(−\(z))")
            #expect(all.logPositive.bitPattern == StableMath.logSigmoid(z).bitPattern, "log σ(\(z))")
            #expect(all.logNegative.bitPattern == StableMath.logSigmoid(-z).bitPattern, "log σ(−\(z))")
        }
    }

    @Test("squareRoot is squareRoot() bit for bit, the focal losses' √(1 − q) included")
    func squareRootMatchesStandardLibrary() {
        var rng = SeededGenerator(seed: 12)
        var values: [Double] = [0, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .ulpOfOne, 0.5, 1 - .ulpOfOne, 1, 2,
                                .greatestFiniteMagnitude, .infinity]
        for _ in 0..<20_000 { values.append(Double.random(in: 0...1, using: &rng)) }
        for x in values { #expect(StableMath.squareRoot(x).bitPattern == x.squareRoot().bitPattern, "√\(x)") }
        #expect(StableMath.squareRoot(-1).isNaN)
    }
}
