import ArgumentParser

/// The `parley` command: routes to its subcommands.
@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "A chat bot daemon for IRC and Matrix, with a local or hosted language model.",
        subcommands: [Run.self, Chat.self, Status.self, ConfigCommand.self, KnowledgeCommand.self, TicketsCommand.self, BackendsCommand.self, PluginsCommand.self, ModelCommand.self, MatrixCommand.self, Bench.self])
}
