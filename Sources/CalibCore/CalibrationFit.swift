#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What the two logistic calibration fits of SPEC 9 give for a binary task:
/// `calibrationSlope` `b` of `P(y = 1) = σ(a + b·logit(s))` (both fitted)
/// and `calibrationIntercept` `a₀` of `P(y = 1) = σ(a₀ + logit(s))` (slope
/// fixed at 1), weighted maximum likelihood, `s` clipped to `[ε, 1 − ε]`
/// (ε = 2⁻⁵²) first. Each value, or `nil` with the reason a report prints.
///
/// Undefined cases (as `make_calibration_golden.py`): one class absent →
/// both `nil`; all clipped scores equal → slope `nil`; complete or
/// quasi-complete separation (the highest negative score ≤ the lowest
/// positive one, or the reverse) → slope `nil` (the likelihood has no
/// maximum). The intercept exists whenever both classes are present.
struct CalibrationFits: Sendable, Hashable {
    var slope: Double?
    var slopeUndefinedReason: String?
    var intercept: Double?
    var interceptUndefinedReason: String?
}

extension CalibrationFits {
    /// The clipping bound ε = 2⁻⁵² (`np.finfo(float).eps`, scikit-learn's `log_loss` default).
    static let epsilon = 2.220446049250313e-16
    static let oneClassAbsent = "one class absent: the fit diverges"
    static let allScoresEqual = "all scores equal: the slope is not identifiable"
    static let separable = "separable data: the fit does not converge"
    static let notConverged = "the fit does not converge"

    /// Fits one binary column of the exact store (`ExactScores.Piece`s, keys
    /// `bits(s) << 1 | isPositive`).
    ///
    /// How: one pass over the rows (no `log`, no `exp`) sums, per cell of the
    /// score, the weighted moments `M_k = Σ w·τᵏ` (k = 0…8) of each class,
    /// with `τ = (v − c)/h ∈ [−1, 1)` the position of `v = s'` (`s < ½`) or
    /// `v = 1 − s'` in a cell `[c − h, c + h)`, `h ≤ 2⁻⁶·v` (for `s` in
    /// `[2⁻⁴⁰, ⅞)` a cell is a store bucket, so the pass keeps its sums in
    /// registers; see `FitCells`). Every sum the Newton iteration needs
    /// (gradient, Hessian, log-likelihood) is `Σ_k f_k·M_k`, with `f_k` the
    /// Taylor coefficients in `τ` of `σ(a + b·logit(c + hτ))` and its products,
    /// got exactly by power-series arithmetic (`μ' = μ(1 − μ)η'`,
    /// `softplus(η)' = μη'`). The series converge like `ρᵏ`,
    /// `ρ ≈ max(h/v, |b|·h/(π·v(1 − v)))`, so a step's sums are the rows' sums
    /// to ~1e-16 relative. Damped Newton (a step moves no row's `η` by more
    /// than 16, and is halved while the log-likelihood would fall) runs first
    /// on 3 terms to 1e-7, then on all 9 until a step is below 1e-9 relative:
    /// the quadratic convergence puts that last iterate within ~1e-16 of the
    /// maximum. The two next Taylor terms bound the truncation; where they
    /// could move the fit by more than 1e-13 (a steep slope: |b| beyond about
    /// 5–30, depending on where the scores lie) the fit is finished by exact
    /// Newton passes over the rows (`log` and `exp` per row) from there.
    /// Reference: the score equations of logistic regression (McCullagh &
    /// Nelder 1989, ch. 4); Taylor-mode series arithmetic (Griewank & Walther
    /// 2008, ch. 13).
    ///
    /// Deterministic: the rows are split into tasks by fixed runs of store
    /// buckets (independent of `runner` and its threads), each bucket's
    /// moments are summed in the store's row order and all sums are combined
    /// in bucket order, so any runner gives the same bits. Never traps; a
    /// non-finite sum (weights near overflow) gives `nil`, "the fit does not converge".
    static func fit(pieces: [ExactScores.Piece], runner: RankingRunner?) -> CalibrationFits {
        withExtendedLifetime(pieces) {
            let views = PieceView.views(of: pieces)
            return fitted(views: views, runner: runner).fits
        }
    }

    /// The fits and how each went (`nil`: not fitted).
    static func fitted(views: [PieceView], runner: RankingRunner?)
        -> (fits: CalibrationFits, slope: FitOutcome?, intercept: FitOutcome?) {
        fitted(cells: FitCells(views: views, runner: runner), views: views, runner: runner)
    }

    /// The fits from the cells' moments, already summed (`FitCells(views:runner:)`), of the rows of `views`.
    static func fitted(cells: FitCells, views: [PieceView], runner: RankingRunner?)
        -> (fits: CalibrationFits, slope: FitOutcome?, intercept: FitOutcome?) {
        var fits = CalibrationFits()
        guard cells.hasPositive && cells.hasNegative else {
            fits.slopeUndefinedReason = oneClassAbsent
            fits.interceptUndefinedReason = oneClassAbsent
            return (fits, nil, nil)
        }
        let interceptFit = cells.solve(slope: false, views: views, runner: runner)
        var slopeFit: FitOutcome?
        if let a0 = interceptFit {
            fits.intercept = a0.a
        } else {
            fits.interceptUndefinedReason = notConverged
        }
        let range = cells.clippedRange(views: views)
        if range.lowestPositive == range.highestPositive && range.lowestNegative == range.highestNegative
            && range.lowestPositive == range.lowestNegative {
            fits.slopeUndefinedReason = allScoresEqual
        } else if range.highestNegative <= range.lowestPositive || range.highestPositive <= range.lowestNegative {
            fits.slopeUndefinedReason = separable
        } else if let fit = cells.solve(slope: true, views: views, runner: runner) {
            fits.slope = fit.b
            slopeFit = fit
        } else {
            fits.slopeUndefinedReason = notConverged
        }
        return (fits, slopeFit, interceptFit)
    }
}

/// The moments of every cell of one binary column, and the Newton fits on
/// them (see `CalibrationFits.fit`).
///
/// Each cell is an interval `[c − h, c + h)` of `v = s'` (side +1) or of
/// `v = 1 − s'` (side −1, exact for `s ≥ ½`), `s' = s` clipped to `[ε, 1 − ε]`,
/// so that `logit(s') = side·logit(v)`, with `h ≤ 2⁻⁶·v` (the series'
/// convergence ratio): a store bucket of scores in `[2⁻⁴⁰, ½)` is one cell
/// (`h = 2⁻⁸·L`), and so is one in `[½, ⅞)` (`v ≥ ⅛`, `h = 2⁻⁹`); the others
/// (`s < 2⁻⁴⁰`, `s ≥ ⅞`) are cut into cells `(exponent, top 7 mantissa bits)` of `v`.
/// Cells need not match across buckets: each bucket's cells are summed on their own.
struct FitCells {
    /// Moments per class: `Σ w·τᵏ`, k = 0..<`terms`.
    static let terms = 9
    /// Numbers per cell: side, centre, half width, positive then negative moments.
    static let stride = 3 + 2 * terms
    /// Store buckets from 1 below this hold scores in [2⁻⁴⁰, ½).
    static let firstUpperBucket = 1 + ((1022 - (1023 - ScoreGrid.binades)) << 7)
    /// Store buckets from `firstUpperBucket` below this hold scores in [½, ⅞) (v > ⅛).
    static let firstTopBucket = firstUpperBucket + 96
    /// The exponent of ε = 2⁻⁵², the lowest `v`.
    static let lowestExponent = 971

    /// Every non-empty cell, `stride` numbers each, in bucket order.
    var cells: [Double] = []
    /// Per store bucket, its class weights.
    var bucketPositive: [Double] = []
    var bucketNegative: [Double] = []
    /// Whether any row is positive, negative (weights are above 0).
    var hasPositive = false
    var hasNegative = false
    /// Fixed tasks: runs of store buckets of about equal rows.
    var tasks: [Range<Int>] = []

    var cellCount: Int { cells.count / FitCells.stride }

    /// The fine cell of `v ∈ [ε, ½]`: its index (exponent and top 7 mantissa bits, from ε), centre, half width and `1/h` (all exact).
    @inline(__always)
    static func cell(of v: Double) -> (index: Int, centre: Double, half: Double, inverseHalf: Double) {
        let bits = v.bitPattern
        let exponent = Int(truncatingIfNeeded: bits >> 52)
        let mantissa = Int(truncatingIfNeeded: (bits >> 45) & 127)
        let low = Double(bitPattern: bits & ~((1 << 45) - 1))
        let half = Double(bitPattern: UInt64(exponent - 8) << 52)
        let inverse = Double(bitPattern: UInt64(2054 - exponent) << 52)
        return ((exponent - lowestExponent) * 128 + mantissa, low + half, half, inverse)
    }

    /// `sizes`: each bucket's rows, when the caller has them (`ExactScores.bucketSizes`).
    init(views: [PieceView], sizes known: [Int]? = nil, runner: RankingRunner?) {
        let buckets = ExactScores.grid.bucketCount
        let sizes = known ?? ExactScores.bucketSizes(views)
        precondition(sizes.count == buckets, "one size per bucket")
        let rows = sizes.reduce(0, +)
        let share = Swift.max(1, rows / 64)
        var lower = 0, filled = 0
        for b in 0..<buckets {
            filled += sizes[b]
            if filled >= share || b == buckets - 1 { tasks.append(lower..<(b + 1)); lower = b + 1; filled = 0 }
        }
        let taskRanges = tasks, bucketSizes = sizes
        var perBucket = [[Double]](repeating: [], count: buckets)
        perBucket.withUnsafeMutableBufferPointer { out in
            let shared = SendablePointer(out.baseAddress!)
            CalibrationFits.run(taskRanges.count, runner) { task in
                // Piece by piece: a task's buckets are contiguous in each piece, so the pass streams through memory.
                let range = taskRanges[task]
                var moments = TaskMoments(range: range, sizes: bucketSizes, views: views)
                for piece in views { moments.add(piece) }
                for b in range where bucketSizes[b] > 0 { shared.pointer[b] = moments.cells(bucket: b) }
            }
        }
        bucketPositive = [Double](repeating: 0, count: buckets)
        bucketNegative = bucketPositive
        for b in 0..<buckets where !perBucket[b].isEmpty {
            let list = perBucket[b]
            var bp = 0.0, bn = 0.0
            for start in Swift.stride(from: 0, to: list.count, by: FitCells.stride) {
                bp += list[start + 3]
                bn += list[start + 3 + FitCells.terms]
            }
            bucketPositive[b] = bp
            bucketNegative[b] = bn
            hasPositive = hasPositive || bp > 0
            hasNegative = hasNegative || bn > 0
            cells.append(contentsOf: list)
        }
    }

    /// How a store bucket is cut into cells.
    enum Geometry {
        /// One cell: `τ = (side·s + shift)·inverseHalf` (exact), with `shift = −c` (side +1) or `1 − c` (side −1).
        case single(side: Double, centre: Double, half: Double, shift: Double, inverseHalf: Double)
        /// Fine cells `first..<first + count` of `v = s'` (or `1 − s'` on the upper side).
        case fine(upperSide: Bool, first: Int, count: Int)
    }

    static func geometry(bucket b: Int) -> Geometry {
        if b >= 1 && b < firstUpperBucket {
            let exponent = (1023 - ScoreGrid.binades) + ((b - 1) >> 7)
            let low = Double(bitPattern: UInt64(exponent) << 52 | UInt64((b - 1) & 127) << 45)
            let (_, centre, half, inverse) = cell(of: low)
            return .single(side: 1, centre: centre, half: half, shift: -centre, inverseHalf: inverse)
        }
        if b >= firstUpperBucket && b < firstTopBucket {
            // s ∈ [L, L + 2⁻⁸), v = 1 − s ∈ (1 − L − 2⁻⁸, 1 − L]: centre 1 − (L + 2⁻⁹), all exact.
            let low = 0.5 + Double(b - firstUpperBucket) * 0x1p-8
            return .single(side: -1, centre: 1 - (low + 0x1p-9), half: 0x1p-9, shift: low + 0x1p-9, inverseHalf: 0x1p9)
        }
        // The bucket's range of v (clipped to ε at least).
        let epsilon = CalibrationFits.epsilon
        let range: (low: Double, high: Double)
        if b == 0 {
            range = (epsilon, 0x1p-40.nextDown)
        } else {
            let low = 0.5 + Double(b - firstUpperBucket) * 0x1p-8
            range = (Swift.max(1 - Swift.min(low + 0x1p-8, 1), epsilon), Swift.max(1 - Swift.min(low, 1), epsilon))
        }
        let first = cell(of: range.low).index
        return .fine(upperSide: b != 0, first: first, count: cell(of: range.high).index - first + 1)
    }

    /// One task's store buckets: their moments, added piece by piece (in
    /// merge order, each bucket's rows in store order).
    struct TaskMoments {
        let range: Range<Int>
        let geometries: [Geometry]
        /// Per bucket: a one-cell bucket's moments.
        var single: [Moments]
        /// Per bucket: a fine bucket's table, `terms` (positive, negative) pairs per cell.
        var fine: [[SIMD2<Double>]]

        /// A fine bucket with fewer rows than cells gets a table spanning the
        /// cells its rows reach only (its rows read once more to find them):
        /// the whole bucket may be 1,500 cells, 200 KB to clear, for one row —
        /// as the bootstrap's replicate grids give it, thousands of times. A
        /// bucket of many rows keeps the whole table (no second pass over them).
        init(range: Range<Int>, sizes: [Int], views: [PieceView]) {
            self.range = range
            var geometries = range.map { FitCells.geometry(bucket: $0) }
            fine = Array(repeating: [], count: range.count)
            for (j, b) in range.enumerated() where sizes[b] > 0 {
                guard case .fine(let upperSide, _, let cells) = geometries[j] else { continue }
                guard sizes[b] < cells else {
                    fine[j] = Array(repeating: .zero, count: cells * FitCells.terms)
                    continue
                }
                var lowest = Int.max, highest = Int.min
                for piece in views {
                    for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) {
                        let index = FitCells.fineCell(key: piece.keys[i], upperSide: upperSide)
                        lowest = Swift.min(lowest, index)
                        highest = Swift.max(highest, index)
                    }
                }
                geometries[j] = .fine(upperSide: upperSide, first: lowest, count: highest - lowest + 1)
                fine[j] = Array(repeating: .zero, count: (highest - lowest + 1) * FitCells.terms)
            }
            self.geometries = geometries
            single = Array(repeating: Moments(), count: range.count)
        }

        mutating func add(_ piece: PieceView) {
            for b in range {
                let j = b - range.lowerBound
                let lower = Int(piece.starts[b]), upper = Int(piece.starts[b + 1])
                guard lower < upper else { continue }
                switch geometries[j] {
                case .single(let side, _, _, let shift, let inverse):
                    FitCells.addSingle(&single[j], piece: piece, lower: lower, upper: upper,
                                       side: side, shift: shift, inverseHalf: inverse)
                case .fine(let upperSide, let first, _):
                    fine[j].withUnsafeMutableBufferPointer { table in
                        FitCells.addFine(table.baseAddress!, first: first, upperSide: upperSide, piece: piece, lower: lower, upper: upper)
                    }
                }
            }
        }

        /// The bucket's non-empty cells, `stride` numbers each, in cell order.
        func cells(bucket b: Int) -> [Double] {
            let j = b - range.lowerBound
            switch geometries[j] {
            case .single(let side, let centre, let half, _, _):
                var out = [side, centre, half]
                single[j].append(to: &out)
                return out
            case .fine(let upperSide, let first, let count):
                let terms = FitCells.terms
                let table = fine[j]
                var out: [Double] = []
                for cell in 0..<count where table[cell * terms][0] > 0 || table[cell * terms][1] > 0 {
                    let local = first + cell
                    let low = Double(bitPattern: UInt64(lowestExponent + local / 128) << 52 | UInt64(local % 128) << 45)
                    let (_, centre, half, _) = FitCells.cell(of: low)
                    out.append(upperSide ? -1 : 1)
                    out.append(centre)
                    out.append(half)
                    for k in 0..<terms { out.append(table[cell * terms + k][0]) }
                    for k in 0..<terms { out.append(table[cell * terms + k][1]) }
                }
                return out
            }
        }
    }

    /// Rows `lower..<upper` of a one-cell bucket, added to its moments (rows of weight 1 two at a time).
    @inline(__always)
    static func addSingle(_ moments: inout Moments, piece: PieceView, lower: Int, upper: Int,
                          side: Double, shift: Double, inverseHalf: Double) {
        var m = moments
        let keys = piece.keys
        if let weights = piece.weights {
            for i in lower..<upper {
                let key = keys[i]
                let tau = (side * Double(bitPattern: key >> 1) + shift) * inverseHalf
                let w = weights[i], y = Double(key & 1)
                m.add(tau, SIMD2(w * y, w - w * y))
            }
        } else {
            // Two rows per step (lane 0 even rows, lane 1 odd rows), k = 0…2, 3…5 and 6…8 in three loops of
            // their own (each a function, so that its six sums stay in registers: no spills, no shuffles).
            let pairs = (upper - lower) / 2
            let base = keys + lower
            let (p0, p1, n1, p2, n2) = FitCells.unitMomentsLow(base, pairs: pairs, side: side, shift: shift, inverseHalf: inverseHalf)
            let (p3, n3, p4, n4, p5, n5) = FitCells.unitMomentsMiddle(base, pairs: pairs, side: side, shift: shift, inverseHalf: inverseHalf)
            let (p6, n6, p7, n7, p8, n8) = FitCells.unitMomentsHigh(base, pairs: pairs, side: side, shift: shift, inverseHalf: inverseHalf)
            @inline(__always) func lanes(_ p: SIMD2<Double>, _ n: SIMD2<Double>) -> SIMD2<Double> { SIMD2(p[0] + p[1], n[0] + n[1]) }
            let positives = p0[0] + p0[1]   // counts: exact
            m.m0 += SIMD2(positives, Double(2 * pairs) - positives)
            m.m1 += lanes(p1, n1); m.m2 += lanes(p2, n2); m.m3 += lanes(p3, n3); m.m4 += lanes(p4, n4)
            m.m5 += lanes(p5, n5); m.m6 += lanes(p6, n6); m.m7 += lanes(p7, n7); m.m8 += lanes(p8, n8)
            if (upper - lower) % 2 == 1 {
                let key = keys[upper - 1]
                let tau = (side * Double(bitPattern: key >> 1) + shift) * inverseHalf
                let y = Double(key & 1)
                m.add(tau, SIMD2(y, 1 - y))
            }
        }
        moments = m
    }

    /// Rows `2j, 2j + 1` of unit weight as lanes: `τ = (side·s + shift)·inverseHalf` and `y` (1.0 or 0.0 from the label bit, no conversion).
    @inline(__always)
    static func unitPair(_ keys: UnsafePointer<UInt64>, _ j: Int, side: Double, shift: Double, inverseHalf: Double)
        -> (tau: SIMD2<Double>, y: SIMD2<Double>) {
        let key = SIMD2<UInt64>(keys[2 * j], keys[2 * j + 1])
        let s = unsafeBitCast(key &>> 1, to: SIMD2<Double>.self)
        let y = unsafeBitCast((SIMD2<UInt64>() &- (key & 1)) & SIMD2(repeating: (1.0).bitPattern), to: SIMD2<Double>.self)
        return ((s * side + shift) * inverseHalf, y)
    }

    /// `Σ y`, `Σ y·τ`, `Σ (1 − y)·τ`, `Σ y·τ²`, `Σ (1 − y)·τ²` per lane over `pairs` pairs of unit-weight rows.
    @inline(never)
    static func unitMomentsLow(_ keys: UnsafePointer<UInt64>, pairs: Int, side: Double, shift: Double, inverseHalf: Double)
        -> (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>) {
        var p0 = SIMD2<Double>(), p1 = SIMD2<Double>(), n1 = SIMD2<Double>(), p2 = SIMD2<Double>(), n2 = SIMD2<Double>()
        for j in 0..<pairs {
            let (tau, y) = unitPair(keys, j, side: side, shift: shift, inverseHalf: inverseHalf)
            let n = 1 - y
            let t2 = tau * tau
            p0 += y
            p1 += y * tau; n1 += n * tau
            p2 += y * t2; n2 += n * t2
        }
        return (p0, p1, n1, p2, n2)
    }

    /// The same for k = 3…5 (`τ³ = τ²·τ`, `τ⁴ = τ²·τ²`, `τ⁵ = τ⁴·τ`).
    @inline(never)
    static func unitMomentsMiddle(_ keys: UnsafePointer<UInt64>, pairs: Int, side: Double, shift: Double, inverseHalf: Double)
        -> (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>) {
        var p3 = SIMD2<Double>(), n3 = SIMD2<Double>(), p4 = SIMD2<Double>(), n4 = SIMD2<Double>(), p5 = SIMD2<Double>(), n5 = SIMD2<Double>()
        for j in 0..<pairs {
            let (tau, y) = unitPair(keys, j, side: side, shift: shift, inverseHalf: inverseHalf)
            let n = 1 - y
            let t2 = tau * tau, t3 = t2 * tau, t4 = t2 * t2, t5 = t4 * tau
            p3 += y * t3; n3 += n * t3
            p4 += y * t4; n4 += n * t4
            p5 += y * t5; n5 += n * t5
        }
        return (p3, n3, p4, n4, p5, n5)
    }

    /// The same for k = 6…8 (`τ⁶ = τ⁴·τ²`, `τ⁷ = τ⁶·τ`, `τ⁸ = τ⁴·τ⁴`).
    @inline(never)
    static func unitMomentsHigh(_ keys: UnsafePointer<UInt64>, pairs: Int, side: Double, shift: Double, inverseHalf: Double)
        -> (SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>, SIMD2<Double>) {
        var p6 = SIMD2<Double>(), n6 = SIMD2<Double>(), p7 = SIMD2<Double>(), n7 = SIMD2<Double>(), p8 = SIMD2<Double>(), n8 = SIMD2<Double>()
        for j in 0..<pairs {
            let (tau, y) = unitPair(keys, j, side: side, shift: shift, inverseHalf: inverseHalf)
            let n = 1 - y
            let t2 = tau * tau, t4 = t2 * t2, t6 = t4 * t2, t7 = t6 * tau, t8 = t4 * t4
            p6 += y * t6; n6 += n * t6
            p7 += y * t7; n7 += n * t7
            p8 += y * t8; n8 += n * t8
        }
        return (p6, n6, p7, n7, p8, n8)
    }

    /// Rows `lower..<upper` of a fine bucket (`s < 2⁻⁴⁰` or `s ≥ ⅞`): each row's fine cell of `v` in the table.
    /// The fine cell (``cell(of:)``'s index) of a store key's `v` (`s`, or `1 − s` on the upper side, at least ε).
    @inline(__always)
    static func fineCell(key: UInt64, upperSide: Bool) -> Int {
        let s = Double(bitPattern: key >> 1)
        return cell(of: Swift.max(upperSide ? 1 - s : s, CalibrationFits.epsilon)).index
    }

    static func addFine(_ table: UnsafeMutablePointer<SIMD2<Double>>, first: Int, upperSide: Bool,
                        piece: PieceView, lower: Int, upper: Int) {
        let terms = FitCells.terms
        let epsilon = CalibrationFits.epsilon
        for i in lower..<upper {
            let key = piece.keys[i]
            let s = Double(bitPattern: key >> 1)
            let v = Swift.max(upperSide ? 1 - s : s, epsilon)
            let (index, centre, _, inverse) = cell(of: v)
            let at = table + (index - first) * terms
            let w = piece.weights?[i] ?? 1, y = Double(key & 1)
            let wv = SIMD2(w * y, w - w * y)
            let tau = (v - centre) * inverse
            let t2 = tau * tau, t4 = t2 * t2
            at[0] += wv
            at[1] += wv * tau
            at[2] += wv * t2
            at[3] += wv * (t2 * tau)
            at[4] += wv * t4
            at[5] += wv * (t4 * tau)
            at[6] += wv * (t4 * t2)
            at[7] += wv * (t4 * t2 * tau)
            at[8] += wv * (t4 * t4)
        }
    }

    /// The lowest and highest clipped score of each class, read from the
    /// rows of the outermost buckets holding that class.
    func clippedRange(views: [PieceView]) -> (lowestPositive: Double, highestPositive: Double,
                                              lowestNegative: Double, highestNegative: Double) {
        func extreme(_ weights: [Double], positive: Bool, highest: Bool) -> Double {
            let found = highest ? weights.lastIndex { $0 > 0 } : weights.firstIndex { $0 > 0 }
            guard let b = found else { return .nan }
            var best = highest ? -Double.infinity : Double.infinity
            for piece in views {
                for i in Int(piece.starts[b])..<Int(piece.starts[b + 1]) where (piece.keys[i] & 1 == 1) == positive {
                    let s = Swift.min(Swift.max(Double(bitPattern: piece.keys[i] >> 1), CalibrationFits.epsilon),
                                      1 - CalibrationFits.epsilon)
                    best = highest ? Swift.max(best, s) : Swift.min(best, s)
                }
            }
            return best
        }
        return (extreme(bucketPositive, positive: true, highest: false), extreme(bucketPositive, positive: true, highest: true),
                extreme(bucketNegative, positive: false, highest: false), extreme(bucketNegative, positive: false, highest: true))
    }
}

/// The weighted moments `Σ w·τᵏ`, k = 0…8, of both classes at once (lane 0
/// positive, lane 1 negative).
struct Moments {
    var m0 = SIMD2<Double>(), m1 = SIMD2<Double>(), m2 = SIMD2<Double>(), m3 = SIMD2<Double>(), m4 = SIMD2<Double>()
    var m5 = SIMD2<Double>(), m6 = SIMD2<Double>(), m7 = SIMD2<Double>(), m8 = SIMD2<Double>()

    @inline(__always)
    mutating func add(_ tau: Double, _ w: SIMD2<Double>) {
        let t2 = tau * tau, t3 = t2 * tau, t4 = t2 * t2
        m0 += w
        m1 += w * tau
        m2 += w * t2
        m3 += w * t3
        m4 += w * t4
        m5 += w * (t4 * tau)
        m6 += w * (t4 * t2)
        m7 += w * (t4 * t3)
        m8 += w * (t4 * t4)
    }

    func append(to out: inout [Double]) {
        let all = [m0, m1, m2, m3, m4, m5, m6, m7, m8]
        for m in all { out.append(m[0]) }
        for m in all { out.append(m[1]) }
    }
}

/// The sums one Newton step of a fit needs at `(a, b)`: the gradient `G`
/// and the negative Hessian `H` of the weighted log-likelihood `LL`
/// (`Σ w[y·η − softplus(η)]`, `η = a + b·logit(s')`), and bounds of the
/// gradient's truncation (`tailA`, `tailB`; 0 for sums over the rows).
struct FitSums {
    var ga = 0.0, gb = 0.0
    var haa = 0.0, hab = 0.0, hbb = 0.0
    var ll = 0.0
    var tailA = 0.0, tailB = 0.0

    var isFinite: Bool {
        ga.isFinite && gb.isFinite && haa.isFinite && hab.isFinite && hbb.isFinite && ll.isFinite
    }

    /// The sums scaled by the power of two that brings `H_aa` into [1, 2)
    /// (exactly), so that `det H` neither overflows nor underflows whatever
    /// the weights' scale, and a fit depends on relative weights only, to the bit.
    var normalised: FitSums {
        guard haa > 0 && haa.isFinite else { return self }
        let e = -Int(haa.exponent)
        func scaled(_ x: Double) -> Double { Double(sign: .plus, exponent: e, significand: x) }
        return FitSums(ga: scaled(ga), gb: scaled(gb), haa: scaled(haa), hab: scaled(hab), hbb: scaled(hbb), ll: ll,
                       tailA: scaled(tailA), tailB: scaled(tailB))
    }

    /// The Newton step `H⁻¹G` (the intercept fit: `G_a/H_aa`), `nil` unless `H` is positive definite.
    func step(slope: Bool) -> (a: Double, b: Double)? {
        guard isFinite && haa > 0 else { return nil }
        guard slope else { return (ga / haa, 0) }
        let n = normalised
        let det = n.haa * n.hbb - n.hab * n.hab
        guard det > 0 && n.hbb > 0 else { return nil }
        return ((n.hbb * n.ga - n.hab * n.gb) / det, (n.haa * n.gb - n.hab * n.ga) / det)
    }

    /// How far the gradient's truncation could move the maximum (`|H⁻¹|·tail`).
    func truncationShift(slope: Bool) -> (a: Double, b: Double) {
        guard slope else { return (tailA / haa, 0) }
        let n = normalised
        let det = n.haa * n.hbb - n.hab * n.hab
        return ((n.hbb * n.tailA + Swift.abs(n.hab) * n.tailB) / det, (Swift.abs(n.hab) * n.tailA + n.haa * n.tailB) / det)
    }
}

extension CalibrationFits {
    static func run(_ count: Int, _ runner: RankingRunner?, _ body: @escaping @Sendable (Int) -> Void) {
        if let runner { runner(count, body) } else { for task in 0..<count { body(task) } }
    }

    /// `(σ(η), σ(−η))`, each from the side that cannot overflow.
    @inline(__always)
    static func sigmoids(_ eta: Double) -> (Double, Double) {
        let e = exp(-Swift.abs(eta))
        let near = 1 / (1 + e), far = e / (1 + e)
        return eta >= 0 ? (near, far) : (far, near)
    }

    /// `softplus(η) = log(1 + e^η)` without overflow.
    @inline(__always)
    static func softplus(_ eta: Double) -> Double {
        Swift.max(eta, 0) + log1p(exp(-Swift.abs(eta)))
    }
}

/// How each fit ended: its parameters and the Newton evaluations it took.
struct FitOutcome {
    var a: Double
    var b: Double
    /// Evaluations on the moments (3 and 9 terms) and exact passes over the rows.
    var coarseEvaluations = 0
    var fineEvaluations = 0
    var exactPasses = 0
}

extension FitCells {
    /// Taylor coefficients kept per cell: the moments' terms and two more for the truncation bound.
    static let seriesLength = terms + 2

    /// Each cell's `logit(v)` series in `τ` (times its side): with `q = h/c`, `r = h/(1 − c)`,
    /// `logit(c + hτ) = logit(c) + Σ_k [(−1)^{k+1}qᵏ + rᵏ]/k · τᵏ`.
    func logitSeries() -> [Double] {
        let n = FitCells.seriesLength
        var out = [Double](repeating: 0, count: cellCount * n)
        for cell in 0..<cellCount {
            let base = cell * FitCells.stride
            let side = cells[base], c = cells[base + 1], h = cells[base + 2]
            let q = h / c, r = h / (1 - c)
            out[cell * n] = side * (log(c) - log1p(-c))
            var qk = 1.0, rk = 1.0
            for k in 1..<n {
                qk *= -q
                rk *= r
                out[cell * n + k] = side * (rk - qk) / Double(k)
            }
        }
        return out
    }

    /// The sums at `(a, b)` from the first `terms` moments of every cell (bounds from the two next terms when all 9 are used).
    func evaluate(a: Double, b: Double, slope: Bool, terms n: Int, logits: [Double]) -> FitSums {
        let length = n == FitCells.terms ? n + 2 : n
        let stride = FitCells.stride, seriesLength = FitCells.seriesLength, momentTerms = FitCells.terms
        var ga = CompensatedSum(), gb = CompensatedSum()
        var sums = FitSums()
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 10 * length) { scratch in
            let base = scratch.baseAddress!
            let d = base, mu = base + length, nu = base + 2 * length, qq = base + 3 * length
            let sp = base + 4 * length, sn = base + 5 * length
            let nx = base + 6 * length, mx = base + 7 * length, qx = base + 8 * length, qxx = base + 9 * length
            cells.withUnsafeBufferPointer { cellBuffer in
            logits.withUnsafeBufferPointer { logitBuffer in
                for cell in 0..<cellCount {
                    let p = cellBuffer.baseAddress! + cell * stride + 3
                    let m = p + momentTerms
                    let x = logitBuffer.baseAddress! + cell * seriesLength
                    let eta0 = a + b * x[0]
                    let (mu0, nu0) = CalibrationFits.sigmoids(eta0)
                    mu[0] = mu0
                    nu[0] = nu0
                    qq[0] = mu0 * nu0
                    sp[0] = CalibrationFits.softplus(eta0)
                    sn[0] = CalibrationFits.softplus(-eta0)
                    for k in 1..<length {
                        d[k] = Double(k) * b * x[k]
                        var dm = 0.0, dq = 0.0, dn = 0.0
                        for j in 1...k {
                            dq += d[j] * qq[k - j]
                            dm += d[j] * mu[k - j]
                            dn += d[j] * nu[k - j]
                        }
                        let inverse = 1 / Double(k)
                        mu[k] = dq * inverse
                        nu[k] = -mu[k]
                        sp[k] = dm * inverse
                        sn[k] = -dn * inverse
                        var q = 0.0
                        for i in 0...k { q += mu[i] * nu[k - i] }
                        qq[k] = q
                    }
                    var cellGa = 0.0, cellH = 0.0, cellLL = 0.0
                    for k in 0..<n {
                        cellGa += nu[k] * p[k] - mu[k] * m[k]
                        cellH += qq[k] * (p[k] + m[k])
                        cellLL -= sn[k] * p[k] + sp[k] * m[k]
                    }
                    ga.add(cellGa)
                    sums.haa += cellH
                    sums.ll += cellLL
                    for k in n..<length {
                        sums.tailA += Swift.abs(nu[k]) * p[0] + Swift.abs(mu[k]) * m[0]
                    }
                    guard slope else { continue }
                    for k in 0..<length {
                        var sn0 = 0.0, sm0 = 0.0, sq0 = 0.0
                        for i in 0...k {
                            sn0 += nu[i] * x[k - i]
                            sm0 += mu[i] * x[k - i]
                            sq0 += qq[i] * x[k - i]
                        }
                        nx[k] = sn0
                        mx[k] = sm0
                        qx[k] = sq0
                        var sqq = 0.0
                        for i in 0...k { sqq += qx[i] * x[k - i] }
                        qxx[k] = sqq
                    }
                    var cellGb = 0.0, cellHab = 0.0, cellHbb = 0.0
                    for k in 0..<n {
                        cellGb += nx[k] * p[k] - mx[k] * m[k]
                        cellHab += qx[k] * (p[k] + m[k])
                        cellHbb += qxx[k] * (p[k] + m[k])
                    }
                    gb.add(cellGb)
                    sums.hab += cellHab
                    sums.hbb += cellHbb
                    for k in n..<length {
                        sums.tailB += Swift.abs(nx[k]) * p[0] + Swift.abs(mx[k]) * m[0]
                    }
                }
            }
            }
        }
        sums.ga = ga.value
        sums.gb = gb.value
        return sums
    }

    /// The sums at `(a, b)` over every row (a `log` and an `exp` per row), by the fixed tasks.
    func exactSums(a: Double, b: Double, slope: Bool, views: [PieceView], runner: RankingRunner?) -> FitSums {
        let taskRanges = tasks
        var partial = [FitSums](repeating: FitSums(), count: taskRanges.count)
        var partialG = [(CompensatedSum, CompensatedSum)](repeating: (CompensatedSum(), CompensatedSum()), count: taskRanges.count)
        partial.withUnsafeMutableBufferPointer { out in
        partialG.withUnsafeMutableBufferPointer { outG in
            let shared = SendablePointer(out.baseAddress!), sharedG = SendablePointer(outG.baseAddress!)
            CalibrationFits.run(taskRanges.count, runner) { task in
                var sums = FitSums()
                var ga = CompensatedSum(), gb = CompensatedSum()
                let epsilon = CalibrationFits.epsilon
                for bucket in taskRanges[task] {
                    for piece in views {
                        for i in Int(piece.starts[bucket])..<Int(piece.starts[bucket + 1]) {
                            let key = piece.keys[i]
                            let s = Double(bitPattern: key >> 1)
                            let upperSide = s >= 0.5
                            let v = Swift.max(upperSide ? 1 - s : s, epsilon)
                            let logit = log(v) - log1p(-v)
                            let x = upperSide ? -logit : logit
                            let w = piece.weights?[i] ?? 1
                            let eta = a + b * x
                            let (mu, nu) = CalibrationFits.sigmoids(eta)
                            let positive = key & 1 == 1
                            let g = w * (positive ? nu : -mu)
                            let q = w * mu * nu
                            ga.add(g)
                            sums.haa += q
                            sums.ll -= w * CalibrationFits.softplus(positive ? -eta : eta)
                            if slope {
                                gb.add(g * x)
                                sums.hab += q * x
                                sums.hbb += q * x * x
                            }
                        }
                    }
                }
                shared.pointer[task] = sums
                sharedG.pointer[task] = (ga, gb)
            }
        }
        }
        var total = FitSums()
        var ga = CompensatedSum(), gb = CompensatedSum()
        for task in taskRanges.indices {
            ga.merge(partialG[task].0)
            gb.merge(partialG[task].1)
            total.haa += partial[task].haa
            total.hab += partial[task].hab
            total.hbb += partial[task].hbb
            total.ll += partial[task].ll
        }
        total.ga = ga.value
        total.gb = gb.value
        return total
    }

    /// Damped Newton from `start`: each step `H⁻¹G` (shortened so that no
    /// row's `η` moves by more than 16, `reach` bounding `|logit(s')|`), halved while the
    /// log-likelihood would fall (beyond 1e-12 of it, its rounding); done after
    /// a step below `tolerance` relative (or when no halving gains and the full
    /// step is below it: rounding at the maximum). `nil` when `H` stops being positive
    /// definite, a sum is not finite, or `iterations` steps do not get there.
    static func newton(slope: Bool, start: (a: Double, b: Double), tolerance: Double, iterations: Int, reach: Double,
                       evaluations: inout Int, _ evaluate: (Double, Double) -> FitSums) -> (a: Double, b: Double, sums: FitSums)? {
        var a = start.a, b = start.b
        var sums = evaluate(a, b)
        evaluations += 1
        for _ in 0..<iterations {
            guard let step = sums.step(slope: slope) else { return nil }
            // A step moves no row's η by more than 16 (where H ≈ 0 the raw step is huge).
            let change = Swift.abs(step.a) + reach * Swift.abs(step.b)
            var lambda = change > 16 ? 16 / change : 1
            while true {
                let na = a + lambda * step.a, nb = b + lambda * step.b
                let next = evaluate(na, nb)
                evaluations += 1
                if next.isFinite && next.ll >= sums.ll - 1e-12 * Swift.abs(sums.ll) {
                    a = na
                    b = nb
                    sums = next
                    break
                }
                lambda /= 2
                if lambda < 0x1p-40 {
                    // No step gains: at the maximum already if the full step was within the tolerance (rounding), else stuck.
                    let full = Swift.max(Swift.abs(step.a) / Swift.max(1, Swift.abs(a)), Swift.abs(step.b) / Swift.max(1, Swift.abs(b)))
                    return full <= tolerance ? (a, b, sums) : nil
                }
            }
            let moved = Swift.max(Swift.abs(lambda * step.a) / Swift.max(1, Swift.abs(a)),
                                  Swift.abs(lambda * step.b) / Swift.max(1, Swift.abs(b)))
            if moved <= tolerance { return (a, b, sums) }
        }
        return nil
    }

    /// One fit (the slope fit with both `a` and `b`, or the intercept fit
    /// with `b = 1`): 3 moment terms to 1e-7, all 9 to 1e-9, then exact
    /// passes over the rows if the truncation could move it by more than 1e-13.
    func solve(slope: Bool, views: [PieceView], runner: RankingRunner?) -> FitOutcome? {
        let logits = logitSeries()
        // The largest |logit(s')| of any cell (its series at τ = ±1).
        var reach = 0.0
        for cell in 0..<cellCount {
            var bound = 0.0
            for k in 0..<FitCells.seriesLength { bound += Swift.abs(logits[cell * FitCells.seriesLength + k]) }
            reach = Swift.max(reach, bound)
        }
        var outcome = FitOutcome(a: 0, b: 1)
        var start = (a: 0.0, b: 1.0)
        if let coarse = FitCells.newton(slope: slope, start: start, tolerance: 1e-7, iterations: 100, reach: reach,
                                        evaluations: &outcome.coarseEvaluations, { a, b in
            evaluate(a: a, b: b, slope: slope, terms: 3, logits: logits)
        }) {
            start = (coarse.a, coarse.b)
        }
        guard let fine = FitCells.newton(slope: slope, start: start, tolerance: 1e-9, iterations: 100, reach: reach,
                                         evaluations: &outcome.fineEvaluations, { a, b in
            evaluate(a: a, b: b, slope: slope, terms: FitCells.terms, logits: logits)
        }) else { return nil }
        outcome.a = fine.a
        outcome.b = fine.b
        let shift = fine.sums.truncationShift(slope: slope)
        if 2 * shift.a <= 1e-13 * Swift.max(1, Swift.abs(fine.a)) && 2 * shift.b <= 1e-13 * Swift.max(1, Swift.abs(fine.b)) {
            return outcome
        }
        guard let exact = FitCells.newton(slope: slope, start: (fine.a, fine.b), tolerance: 1e-9, iterations: 50, reach: reach,
                                          evaluations: &outcome.exactPasses, { a, b in
            exactSums(a: a, b: b, slope: slope, views: views, runner: runner)
        }) else { return nil }
        outcome.a = exact.a
        outcome.b = exact.b
        return outcome
    }
}
