import ArgumentParser
import Logging
import PostgresNIO
import TOMEClient
import TokenPool

/// One reserver: reserves pairs on its own connection until `end`, timing those that start
/// after `measureFrom`.
struct ReserverLoop: Sendable {
    let pool: PoolReserver
    let shape: ReserveBench.Shape
    let worker: Int
    let measureFrom: ContinuousClock.Instant
    let end: ContinuousClock.Instant
    let record: ReservationRecord?
    let logger: Logger

    func run(on connection: PostgresConnection) async throws -> [Duration] {
        var mine: [Duration] = []
        mine.reserveCapacity(100_000)
        var count = 0
        while ContinuousClock.now < end {
            count += 1
            let cardId = "bench-\(worker)-\(count)-\(UInt32.random(in: 0...UInt32.max))"
            let began = ContinuousClock.now
            let pair: TokenPair
            switch shape {
            case .transaction:
                let reservation = try await connection.withTransaction(logger: logger) { transaction in
                    try await pool.reserve(cardId: cardId, on: transaction)
                }
                guard reservation.source == .pool else { throw ValidationError("the pool ran dry; fill it larger") }
                pair = reservation.pair
            case .statement:
                guard let claimed = try await pool.insertWithPooledPair(PairClaim(cardId: cardId), on: connection).first else {
                    throw ValidationError("the pool ran dry; fill it larger")
                }
                pair = claimed
            }
            record?.append(cardId: cardId, pair: pair)
            if began >= measureFrom { mine.append(.now - began) }
        }
        return mine
    }
}
