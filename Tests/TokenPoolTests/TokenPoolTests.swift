import TestSupport
import Logging
import PostgresNIO
import Testing
import TOMEClient
import TokenPool

@Suite("Token pool reservations")
struct TokenPoolTests {
    @Test(arguments: TestDatabase.Isolation.allCases)
    func manyConcurrentReserversNeverShareAPair(isolation: TestDatabase.Isolation) async throws {
        try await withPool(isolation: isolation) { harness in
            try await harness.fill(400)
            // 32 reservers, 15 cards each: 480 cards for 400 pooled pairs, so the pool runs dry under load.
            let reservations = try await withThrowingTaskGroup(of: [Reservation].self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        var mine: [Reservation] = []
                        for card in 0..<15 { mine.append(try await harness.reserve(cardId: "w\(worker)-c\(card)")) }
                        return mine
                    }
                }
                var all: [Reservation] = []
                for try await batch in group { all += batch }
                return all
            }
            #expect(reservations.count == 480)
            #expect(Set(reservations.map(\.pair.ns1Token)).count == 480)
            #expect(Set(reservations.map(\.pair.ns2Token)).count == 480)
            #expect(reservations.filter { $0.source == .pool }.count == 400)
            #expect(reservations.filter { $0.source == .tome }.count == 80)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 0)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment WHERE source = 'pool'") == 400)
            #expect(try await harness.count("SELECT count(DISTINCT card_id) FROM token_assignment") == 480)
        }
    }

    @Test func aRollbackReturnsThePair() async throws {
        try await withPool { harness in
            try await harness.fill(3)
            struct Abort: Error {}
            let pool = harness.pool
            let error = await #expect(throws: PostgresTransactionError.self) {
                try await harness.database.withTransaction(logger: TestDatabase.quietLogger) { connection in
                    _ = try await pool.reserve(cardId: "doomed", on: connection)
                    throw Abort()
                }
            }
            #expect(error?.closureError is Abort)
            #expect(error?.rollbackError == nil)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 3)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment") == 0)
        }
    }

    @Test func anEmptyPoolFallsBackToTOMEAndTOMEConfirmsThePair() async throws {
        try await withPool { harness in
            let reservation = try await harness.reserve(cardId: "card-1")
            #expect(reservation.source == .tome)
            let resolved = try await harness.dual.resolve(reference: reservation.pair.ns2Token)
            #expect(resolved == reservation.pair.ns1Token)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment WHERE source = 'tome'") == 1)
        }
    }

    @Test func expiredPairsAreNeverHandedOut() async throws {
        try await withPool { harness in
            try await harness.fill(5)
            try await harness.database.query("UPDATE token_pool SET expires_at = now() - INTERVAL '1 second'")
            let reservation = try await harness.reserve(cardId: "card-x")
            #expect(reservation.source == .tome)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 5)
        }
    }

    @Test func detokenizeAgreesWithTOMEForPooledAndFallbackCards() async throws {
        try await withPool { harness in
            try await harness.fill(1)
            let pooled = try await harness.reserve(cardId: "pooled")
            let minted = try await harness.reserve(cardId: "minted")
            #expect(pooled.source == .pool)
            #expect(minted.source == .tome)
            for reservation in [pooled, minted] {
                let answer = try await harness.pool.detokenize(ns2Token: reservation.pair.ns2Token)
                #expect(answer == Detokenized(ns1Token: reservation.pair.ns1Token, source: .database))
                #expect(try await harness.dual.resolve(reference: reservation.pair.ns2Token) == answer?.ns1Token)
            }
            // Known to TOME but not to us (a card from before the pool): answered by TOME, and it says so.
            let elsewhere = try await harness.dual.mintPair()
            #expect(try await harness.pool.detokenize(ns2Token: elsewhere.ns2Token) == Detokenized(ns1Token: elsewhere.ns1Token, source: .tome))
            #expect(try await harness.pool.detokenize(ns2Token: "ns2_unknown") == nil)
        }
    }

    @Test func anEmptyPoolIsLoggedOncePerBurstNotOncePerCard() async throws {
        let logs = LogCapture()
        try await withPool(logger: logs.logger) { harness in
            for card in 0..<20 { _ = try await harness.reserve(cardId: "burst-\(card)") }
        }
        #expect(logs.lines.filter { $0.contains("pool is empty") }.count == 1)
    }
}
