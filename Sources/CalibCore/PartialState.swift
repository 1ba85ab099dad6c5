/// An ``AuditAccumulator`` in the partial-state format (SPEC section 14):
/// shape (with whether rows carry soft targets), settings, losses, every family's ``FamilyState`` (through
/// ``AuditAccumulator/State``, so a family added later travels with no change
/// here), the ranking settings and ``ScoreStore`` (exact keys or sketch), and
/// the bootstrap's settings and replicates (each replicate's families, its
/// score grids). Doubles travel as bit patterns: an accumulator read back
/// merges and finishes exactly as the one written would.
extension AuditAccumulator {
    /// The largest settings a part may carry: those the command line accepts
    /// (bins 1…10,000, at most 1,000 classes), so a forged part cannot ask for
    /// more memory than an audit could.
    static let partialLimits = (bins: 10_000, classes: 1_000, worstRows: 1_000_000)

    /// Writes this accumulator; ``init(readingPartial:)`` reads it back.
    public func writePartial(_ w: inout PartialWriter) {
        let state = self.state
        w.int(shape.classCount)
        w.string(shape.scoreKind.rawValue)
        w.bool(shape.hasSoftTargets)
        w.int(settings.bins)
        w.double(settings.threshold)
        w.double(settings.confidentAt)
        w.int(settings.worstRowLimit)
        w.int(state.losses.count)
        for loss in state.losses { Self.writeLoss(loss, &w) }
        w.strings(State.familyNames)
        for family in state.families { w.family(family) }
        w.bool(rankingSettings != nil)
        if let ranking = rankingSettings {
            w.doubles(ranking.precisionTargets)
            w.doubles(ranking.fprTargets)
            w.doubles(ranking.topFractions)
            w.bool(ranking.costs != nil)
            if let costs = ranking.costs { w.double(costs.falsePositive); w.double(costs.falseNegative) }
            w.int(ranking.memoryBudget)
            scores!.writePartial(&w)
        }
        w.bool(bootstrap != nil)
        if let boot = bootstrap { boot.writePartial(&w) }
    }

    /// The accumulator ``writePartial(_:)`` wrote. Throws
    /// ``PartialStateFormat/Problem/malformed(_:)`` for settings no audit can
    /// have, families that do not fit them, or a store or bootstrap of another layout.
    public init(readingPartial r: inout PartialReader) throws(PartialStateFormat.Problem) {
        let limits = Self.partialLimits
        let k = try r.int()
        guard k >= 2 && k <= limits.classes else { throw .malformed("\(k) classes") }
        guard let kind = ScoreKind(rawValue: try r.string()) else { throw .malformed("an unknown score kind") }
        let shape = ClassificationShape(classCount: k, scoreKind: kind, softTargets: try r.bool())
        let bins = try r.int()
        guard bins >= 1 && bins <= limits.bins else { throw .malformed("\(bins) bins") }
        let threshold = try r.double(), confidentAt = try r.double()
        let worstRows = try r.int()
        guard worstRows >= 0 && worstRows <= limits.worstRows else { throw .malformed("a worst-row limit of \(worstRows)") }
        let settings = AuditSettings(bins: bins, threshold: threshold, confidentAt: confidentAt, worstRowLimit: worstRows)
        let lossCount = try r.length()
        var losses: [LossSpecification] = []
        for _ in 0..<lossCount { losses.append(try Self.readLoss(&r)) }
        let names = try r.strings()
        guard names == State.familyNames else {
            throw .malformed("the families [\(names.joined(separator: ", "))]; this calib keeps [\(State.familyNames.joined(separator: ", "))]")
        }
        var families: [FamilyState] = []
        for _ in names { families.append(try r.family()) }
        var ranking: RankingSettings?
        if try r.bool() {
            let precision = try r.doubles(), fpr = try r.doubles(), top = try r.doubles()
            var costs: MisclassificationCosts?
            if try r.bool() {
                let fp = try r.double(), fn = try r.double()
                guard let given = MisclassificationCosts(falsePositive: fp, falseNegative: fn) else { throw .malformed("misclassification costs \(fp), \(fn)") }
                costs = given
            }
            let budget = try r.int()
            guard budget >= 1 else { throw .malformed("a memory budget of \(budget) bytes") }
            ranking = RankingSettings(precisionTargets: precision, fprTargets: fpr, topFractions: top, costs: costs, memoryBudget: budget)
        }
        var restored: AuditAccumulator
        do throws(RestoreError) {
            restored = try AuditAccumulator(restoring: State(shape: shape, settings: settings, losses: losses, families: families))
        } catch {
            throw .malformed(error.description)
        }
        if let ranking {
            restored = AuditAccumulator(restoring: restored, ranking: ranking)
            restored.scores = try ScoreStore(readingPartial: &r, empty: restored.scores!)
        }
        if try r.bool() {
            restored.bootstrap = try BootstrapReplicates(readingPartial: &r, classCount: k, auditSettings: settings)
        }
        self = restored
    }

    /// `base`'s sums with an empty score store for `ranking`.
    private init(restoring base: AuditAccumulator, ranking: RankingSettings) {
        self.init(shape: base.shape, settings: base.settings, losses: base.families.losses.specifications, ranking: ranking)
        scalars = base.scalars
        families = base.families
        softTargets = base.softTargets
        worst = base.worst
    }

    /// The first difference between this accumulator and `other` that keeps
    /// them from merging: ``mismatch(with:)``'s, then the ranking settings
    /// (present, targets, costs, memory budget) and the bootstrap's
    /// (present, replicates, confidence, seed, draws).
    public func partialMismatch(with other: AuditAccumulator) -> MergeMismatch? {
        if let m = mismatch(with: other) { return m }
        func describe(_ r: RankingSettings?) -> String {
            guard let r else { return "none" }
            let costs = r.costs.map { "\($0.falsePositive)/\($0.falseNegative)" } ?? "none"
            return "precision-at \(r.precisionTargets), fpr-at \(r.fprTargets), top \(r.topFractions), costs \(costs), memory budget \(r.memoryBudget)"
        }
        if rankingSettings != other.rankingSettings {
            return .setting(name: "ranking", expected: describe(rankingSettings), found: describe(other.rankingSettings))
        }
        let mine = bootstrap?.settings, theirs = other.bootstrap?.settings
        if (mine == nil) != (theirs == nil) {
            return .setting(name: "bootstrap replicates", expected: "\(mine?.replicates ?? 0)", found: "\(theirs?.replicates ?? 0)")
        }
        if let mine, let theirs {
            let fields: [(String, String, String)] = [
                ("bootstrap replicates", "\(mine.replicates)", "\(theirs.replicates)"),
                ("confidence", "\(mine.confidence)", "\(theirs.confidence)"),
                ("seed", "\(mine.seed)", "\(theirs.seed)"),
                ("bootstrap counts drawn by", Self.describe(draws: mine.draws), Self.describe(draws: theirs.draws)),
            ]
            if let (name, expected, found) = fields.first(where: { $0.1 != $0.2 }) {
                return .setting(name: name, expected: expected, found: found)
            }
        }
        return nil
    }

    /// Which calib drew a part's bootstrap counts, for a mismatch's message.
    static func describe(draws: BootstrapSettings.Draws) -> String {
        switch draws {
        case .quarters: "this calib (partial-state format 5)"
        case .halves: "an older calib (partial-state format 4 or older: write that part again with this calib)"
        }
    }

    /// Shifts the key of every row's bootstrap counts by `offset`: a row at
    /// line `L` draws the counts of line `L + offset` (SPEC section 14's
    /// `--row-offset`). Without replicates it changes nothing.
    public var bootstrapRowOffset: Int {
        get { bootstrap?.rowOffset ?? 0 }
        set { bootstrap?.rowOffset = newValue }
    }

    static func writeLoss(_ loss: LossSpecification, _ w: inout PartialWriter) {
        switch loss {
        case .crossEntropy: w.u8(0)
        case let .weightedCrossEntropy(weighting):
            w.u8(1)
            switch weighting {
            case .inverseFrequency: w.u8(0)
            case let .effectiveNumber(beta): w.u8(1); w.double(beta)
            case let .given(weights):
                w.u8(2)
                let names = weights.keys.sorted()
                w.strings(names)
                w.doubles(names.map { weights[$0]! })
            }
        case let .focal(gamma, alpha): w.u8(2); w.double(gamma); w.optionalDouble(alpha)
        case let .labelSmoothing(epsilon): w.u8(3); w.double(epsilon)
        }
    }

    static func readLoss(_ r: inout PartialReader) throws(PartialStateFormat.Problem) -> LossSpecification {
        switch try r.u8() {
        case 0: return .crossEntropy
        case 1:
            switch try r.u8() {
            case 0: return .weightedCrossEntropy(.inverseFrequency)
            case 1: return .weightedCrossEntropy(.effectiveNumber(beta: try r.double()))
            case 2:
                let names = try r.strings(), values = try r.doubles()
                guard names.count == values.count, Set(names).count == names.count else { throw .malformed("a class-weight table") }
                return .weightedCrossEntropy(.given(weights: Dictionary(uniqueKeysWithValues: zip(names, values))))
            default: throw .malformed("an unknown class weighting")
            }
        case 2: return .focal(gamma: try r.double(), alpha: try r.optionalDouble())
        case 3: return .labelSmoothing(epsilon: try r.double())
        default: throw .malformed("an unknown loss")
        }
    }
}

extension ScoreStore {
    /// The store's form (0 exact, 1 sketch) and contents: exact, each
    /// column's pieces (keys, optional weights, bucket starts) and the row
    /// count; a sketch, its grid's mantissa bits, per column the four bucket
    /// arrays, the cut cells and the row count.
    func writePartial(_ w: inout PartialWriter) {
        switch storage {
        case .exact(let e):
            w.u8(0)
            w.int(e.rowCount)
            w.int(e.columns.count)
            for column in e.columns {
                w.int(column.count)
                for piece in column {
                    w.words(piece.keys)
                    w.bool(piece.weights != nil)
                    if let weights = piece.weights { w.doubles(weights) }
                    w.int(piece.starts.count)
                    w.u32s(piece.starts)
                }
            }
        case .sketch(let s):
            w.u8(1)
            w.int(s.rowCount)
            w.int(s.grid.mantissaBits)
            for c in s.positive.indices {
                w.doubles(s.positive[c]); w.doubles(s.negative[c]); w.doubles(s.lowest[c]); w.doubles(s.highest[c])
            }
            w.doubles(s.cellPositive)
            w.doubles(s.cellNegative)
        }
    }

    /// Whether bucket `b`'s keys (`keys[starts[b]..<starts[b + 1]]`, `starts`
    /// ascending from 0 to the key count) are of scores in [0, 1] that lie in
    /// bucket `b` of the exact store's grid: one pass over the keys.
    static func holds(_ keys: [UInt64], in starts: [UInt32]) -> Bool {
        keys.withUnsafeBufferPointer { k in
            starts.withUnsafeBufferPointer { s in
                for b in 0..<(s.count - 1) {
                    for j in Int(s[b])..<Int(s[b + 1]) {
                        // The key's score (its sign bit shifted out): NaN and scores above 1 fail `<= 1`.
                        guard Double(bitPattern: k[j] >> 1) <= 1, ExactScores.grid.bucket(key: k[j]) == b else { return false }
                    }
                }
                return true
            }
        }
    }

    /// `empty` (the store of the part's shape and ranking settings) holding what `writePartial(_:)` wrote.
    init(readingPartial r: inout PartialReader, empty: ScoreStore) throws(PartialStateFormat.Problem) {
        self = empty
        let form = try r.u8()
        let rows = try r.int()
        guard rows >= 0 else { throw .malformed("a score store of \(rows) rows") }
        switch form {
        case 0:
            let columnCount = try r.int()
            guard columnCount == empty.columnCount else { throw .malformed("a score store of \(columnCount) columns; the task has \(empty.columnCount)") }
            var exact = ExactScores(columnCount: columnCount)
            let buckets = ExactScores.grid.bucketCount
            var bytes = 0
            for c in 0..<columnCount {
                let pieceCount = try r.length()
                var total = 0
                for _ in 0..<pieceCount {
                    let keys = try r.words()
                    let weights: [Double]? = try r.bool() ? try r.doubles() : nil
                    guard weights == nil || weights!.count == keys.count else { throw .malformed("a piece with \(keys.count) keys and \(weights!.count) weights") }
                    let n = try r.length()
                    guard n == buckets + 1 else { throw .malformed("a piece of \(n - 1) buckets") }
                    let starts = try r.u32s(n)
                    guard starts[0] == 0, Int(starts[n - 1]) == keys.count, zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 }),
                          Self.holds(keys, in: starts) else { throw .malformed("a piece whose buckets do not hold its keys") }
                    let piece = ExactScores.Piece(keys: keys, weights: weights, starts: starts)
                    exact.columns[c].append(piece)
                    bytes += ExactScores.bytes(of: piece)
                    total += keys.count
                }
                guard total == rows else { throw .malformed("a score column of \(total) rows in a store of \(rows)") }
            }
            exact.rowCount = rows
            exact.bytes = bytes
            storage = .exact(exact)
        case 1:
            var sketch = ScoreSketch(columnCount: empty.columnCount, budget: empty.budget, cuts: empty.cuts)
            let bits = try r.int()
            guard bits == sketch.grid.mantissaBits else { throw .malformed("a sketch of \(bits) mantissa bits; the budget gives \(sketch.grid.mantissaBits)") }
            for c in 0..<empty.columnCount {
                let arrays = [try r.doubles(), try r.doubles(), try r.doubles(), try r.doubles()]
                guard arrays.allSatisfy({ $0.count == sketch.bucketCount }) else { throw .malformed("a sketch column of another grid") }
                sketch.positive[c] = arrays[0]; sketch.negative[c] = arrays[1]
                sketch.lowest[c] = arrays[2]; sketch.highest[c] = arrays[3]
            }
            let cellPositive = try r.doubles(), cellNegative = try r.doubles()
            guard cellPositive.count == sketch.cellPositive.count, cellNegative.count == sketch.cellNegative.count else {
                throw .malformed("a sketch with \(cellPositive.count) cut cells; the settings give \(sketch.cellPositive.count)")
            }
            sketch.cellPositive = cellPositive
            sketch.cellNegative = cellNegative
            sketch.rowCount = rows
            storage = .sketch(sketch)
        default:
            throw .malformed("an unknown score store form \(form)")
        }
    }
}

extension BootstrapReplicates {
    /// The settings (replicates, confidence, seed, draws: since version 5), each replicate's scalar
    /// totals and families as ``FamilyState``s, and the score grids: the
    /// replicates' weights in the slots rows reached (`ReplicateCells`), the
    /// full sample's weights and scores per slot (all empty when the part had no rows).
    func writePartial(_ w: inout PartialWriter) {
        w.int(settings.replicates)
        w.double(settings.confidence)
        w.u64(settings.seed)
        w.int(settings.draws.rawValue)
        for r in 0..<replicates {
            w.family(scalars[r].state)
            w.family(families[r].state)
        }
        cells.writePartial(&w)
        w.doubles(fullWeights)
        w.doubles(fullScores)
    }

    init(readingPartial r: inout PartialReader, classCount k: Int, auditSettings: AuditSettings) throws(PartialStateFormat.Problem) {
        let replicates = try r.int()
        let confidence = try r.double()
        let seed = try r.u64()
        guard replicates >= 1 && replicates <= BootstrapSettings.maximumReplicates else { throw .malformed("\(replicates) bootstrap replicates") }
        guard confidence > 0 && confidence < 1 else { throw .malformed("a confidence of \(confidence)") }
        var settings = BootstrapSettings(replicates: replicates, confidence: confidence, seed: seed)
        // Version 5 states the counts' generator; older versions had one (`PoissonCounts`).
        if r.version >= 5 {
            let stored = try r.int()
            guard let draws = BootstrapSettings.Draws(rawValue: stored) else { throw .malformed("bootstrap draws of an unknown kind \(stored)") }
            settings.draws = draws
        } else {
            settings.draws = .halves
        }
        self.init(settings: settings, classCount: k, auditSettings: auditSettings)
        for i in 0..<replicates {
            let scalarState = try r.family(), familyState = try r.family()
            do throws(FamilyState.Malformed) {
                scalars[i] = try scalars[i].restoring(scalarState)
                families[i] = try families[i].restoring(familyState)
            } catch {
                throw .malformed("bootstrap replicate \(i + 1) does not fit the settings")
            }
        }
        let full = columns * cellCount * 2
        cells = try ReplicateCells(readingPartial: &r, replicates: replicates, slots: full)
        fullWeights = try r.doubles()
        fullScores = try r.doubles()
        let fits = cells.isEmpty ? fullWeights.isEmpty && fullScores.isEmpty : fullWeights.count == full && fullScores.count == full
        guard fits else { throw .malformed("bootstrap grids of another size") }
    }
}
