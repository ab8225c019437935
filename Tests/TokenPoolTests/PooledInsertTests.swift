import TestSupport
import Logging
import PoolDatabase
import PostgresNIO
import Testing
import TOMEClient
import TokenPool

/// A service row of the tests' own: a label beside the pair, keyed by card id.
struct LabelledCard: PooledInsert {
    static let insertSQL = """
        INSERT INTO labelled_card (card_id, label, ns1_token, ns2_token)
        SELECT $1, $3, ns1_token, ns2_token FROM pooled_pair
        RETURNING ns1_token, ns2_token
        """
    static let skipClaimWhen: String? = "$3 = 'skip'"

    let cardId: String
    let label: String

    func appendBindings(to bindings: inout PostgresBindings) throws {
        bindings.append(label)
    }

    func decodeRow(_ row: PostgresRow) throws -> TokenPair {
        let (ns1, ns2) = try row.decode((String, String).self)
        return TokenPair(ns1Token: ns1, ns2Token: ns2)
    }
}

@Suite("A service row written with its pooled pair in one statement")
struct PooledInsertTests {
    static let table = "CREATE TABLE labelled_card (card_id TEXT PRIMARY KEY, label TEXT NOT NULL, ns1_token TEXT NOT NULL, ns2_token TEXT NOT NULL)"

    /// A pool of `pairs` pairs beside the service table the tests write their cards into.
    static func withLabelledCards(
        pairs: Int, isolation: TestDatabase.Isolation = .readCommitted, _ body: @Sendable (PoolHarness) async throws -> Void
    ) async throws {
        try await withPool(isolation: isolation) { harness in
            try await harness.database.query(PostgresQuery(unsafeSQL: table))
            try await harness.fill(pairs)
            try await body(harness)
        }
    }

    @Test(arguments: TestDatabase.Isolation.allCases)
    func theRowThePairAndTheAssignmentAreWrittenTogether(isolation: TestDatabase.Isolation) async throws {
        try await Self.withLabelledCards(pairs: 40, isolation: isolation) { harness in
            let pool = harness.pool
            // 40 cards at once from 40 pairs: each gets its own, and no pair is left.
            let pairs = try await withThrowingTaskGroup(of: TokenPair?.self) { group in
                for card in 0..<40 {
                    group.addTask {
                        // SKIP LOCKED passes over pairs other claimers hold; under serializable one of
                        // them may then roll back, so "nothing claimed" can come while a pair is left.
                        // A service falls back then; here the claimer tries again while pairs remain.
                        for _ in 0..<50 {
                            // 40 claimers share the harness's connections on two cores the whole suite
                            // shares: on CI one attempt once waited past the 10 s default for one.
                            let pair = try await withDatabaseRetry(
                                operation: "insert", attemptTimeout: .seconds(60), logger: TestDatabase.quietLogger
                            ) {
                                try await pool.insertWithPooledPair(LabelledCard(cardId: "card-\(card)", label: "l\(card)")).first
                            }
                            if let pair { return pair }
                            if try await harness.count("SELECT count(*) FROM token_pool") == 0 { return nil }
                        }
                        return nil
                    }
                }
                var all: [TokenPair] = []
                for try await pair in group { all.append(try #require(pair)) }
                return all
            }
            #expect(Set(pairs.map(\.ns1Token)).count == 40)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 0)
            #expect(try await harness.count("SELECT count(*) FROM labelled_card") == 40)
            // Each row's pair is the assignment of the same card, taken from the pool.
            #expect(
                try await harness.count(
                    """
                    SELECT count(*) FROM labelled_card c JOIN token_assignment a
                      ON a.card_id = c.card_id AND a.ns1_token = c.ns1_token AND a.ns2_token = c.ns2_token AND a.source = 'pool'
                    """) == 40)
            // The pool is empty now: nothing is claimed and nothing written.
            #expect(try await pool.insertWithPooledPair(LabelledCard(cardId: "card-late", label: "late")).isEmpty)
            #expect(try await harness.count("SELECT count(*) FROM labelled_card") == 40)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment") == 40)
        }
    }

    @Test func aRowThatCannotBeWrittenLeavesThePairInThePool() async throws {
        try await Self.withLabelledCards(pairs: 2) { harness in
            _ = try await harness.pool.insertWithPooledPair(LabelledCard(cardId: "card-1", label: "first"))
            // The same card id again: the row's primary key refuses it, and the claim goes with it.
            let error = await #expect(throws: PSQLError.self) {
                try await harness.pool.insertWithPooledPair(LabelledCard(cardId: "card-1", label: "again"))
            }
            #expect(error?.serverInfo?[.sqlState] == "23505")
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 1)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment") == 1)
        }
    }

    @Test func theSkipConditionClaimsNothing() async throws {
        try await Self.withLabelledCards(pairs: 1) { harness async throws in
            #expect(try await harness.pool.insertWithPooledPair(LabelledCard(cardId: "card-1", label: "skip")).isEmpty)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 1)
            #expect(try await harness.count("SELECT count(*) FROM token_assignment") == 0)
        }
    }

    @Test(arguments: [Int64.min, Int64.max])
    func aPairOnEitherSideOfTheRandomStartIsFound(claimKey: Int64) async throws {
        try await Self.withLabelledCards(pairs: 1) { harness in
            // Below every start key, the wrap-around finds it; above every start key, the upward claim does.
            try await harness.database.query("UPDATE token_pool SET claim_key = \(claimKey)")
            #expect(try await harness.pool.insertWithPooledPair(LabelledCard(cardId: "card-1", label: "x")).count == 1)
            #expect(try await harness.count("SELECT count(*) FROM token_pool") == 0)
        }
    }

    /// Counted by PostgreSQL itself: `pg_stat_statements` for a login role of this test's own,
    /// so the other tests running at the same time do not add to it.
    @Test func oneStatementPerCardAgainstFourInACallersTransaction() async throws {
        try await Self.withLabelledCards(pairs: 40) { harness in
            let login = try await RoundTripLogin.make(harness)
            do {
                let (oneStatement, inTransaction) = try await login.withPool(harness) { pool, database in
                    let before = try await login.statements(harness)
                    for card in 0..<10 {
                        _ = try await pool.insertWithPooledPair(LabelledCard(cardId: "one-\(card)", label: "x"))
                    }
                    let middle = try await login.statements(harness)
                    for card in 0..<10 {
                        try await database.withTransaction(logger: TestDatabase.quietLogger) { connection in
                            let pair = try await pool.reserve(cardId: "txn-\(card)", on: connection).pair
                            try await connection.query(
                                "INSERT INTO labelled_card VALUES (\("txn-\(card)"), 'x', \(pair.ns1Token), \(pair.ns2Token))",
                                logger: TestDatabase.quietLogger)
                        }
                    }
                    return (middle - before, try await login.statements(harness) - middle)
                }
                #expect(oneStatement == 10, "statements for 10 cards in one statement each")
                // BEGIN, the claim, the row, COMMIT: the claim is one statement even when it wraps around.
                #expect(inTransaction == 40, "statements for 10 cards through reserve(cardId:on:): \(inTransaction)")
                #expect(try await harness.count("SELECT count(*) FROM labelled_card") == 20)
                try await login.drop(harness)
            } catch {
                try? await login.drop(harness)
                Issue.record("\(String(reflecting: error))")
                throw error
            }
        }
    }
}

/// A login role for one test, whose statements PostgreSQL counts apart from everyone else's.
struct RoundTripLogin {
    let login: TestLoginRole

    static func make(_ harness: PoolHarness) async throws -> RoundTripLogin {
        RoundTripLogin(login: try await TestLoginRole.create(prefix: "round_trips", password: "round-trips", on: harness.database))
    }

    /// A pool library connected as this role.
    func withPool<Result: Sendable>(
        _ harness: PoolHarness, _ body: @Sendable (PoolReserver, PostgresClient) async throws -> Result
    ) async throws -> Result {
        var configuration = try TestDatabase.baseConfiguration()
        configuration.username = login.role
        configuration.password = "round-trips"
        configuration.startupParameters = [("search_path", login.schema)]
        let dual = harness.dual
        return try await PostgresClient.withClient(configuration, logger: TestDatabase.quietLogger) { client in
            try await body(PoolReserver(database: client, dual: dual), client)
        }
    }

    /// Statements this role has run, as PostgreSQL counted them.
    func statements(_ harness: PoolHarness) async throws -> Int {
        try await harness.count(
            "SELECT COALESCE(sum(calls), 0)::int FROM public.pg_stat_statements WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = '\(login.role)')")
    }

    func drop(_ harness: PoolHarness) async throws {
        try await login.drop(on: harness.database)
    }
}
