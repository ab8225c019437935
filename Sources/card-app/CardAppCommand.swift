import ArgumentParser

/// `card-app`: creates cards from the token pool; stateless, everything in PostgreSQL.
@main
struct CardAppCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card-app",
        abstract: "The card API on the token pool, and the keys of its clients.",
        subcommands: [ServeCommand.self, NewKeyCommand.self, AuditVerifyCommand.self],
        defaultSubcommand: ServeCommand.self
    )
}
