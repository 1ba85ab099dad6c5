// TEMPORARY placeholder replaced by helper branch issue14-fit at merge.
struct CalibrationFits: Sendable, Hashable {
    var slope: Double?; var slopeUndefinedReason: String?
    var intercept: Double?; var interceptUndefinedReason: String?
}
extension CalibrationFits {
    static func fit(pieces: [ExactScores.Piece], runner: RankingRunner?) -> CalibrationFits {
        CalibrationFits(slope: nil, slopeUndefinedReason: "pending", intercept: nil, interceptUndefinedReason: "pending")
    }
}
