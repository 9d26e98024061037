import ArgumentParser
import Foundation
import Logging
import ParleyCore
import ParleyDaemon
import ParleyPlugins
import ParleyTesting

/// `parley plugins …`: routes to `list` and `check`.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Work with plugins.", subcommands: [PluginsList.self, PluginsCheck.self, PluginsTest.self])
}

/// `parley plugins list`: the plugins the config enables and those installed beside them, each
/// valid or with what is wrong.
struct PluginsList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List enabled and installed plugins.")

    @OptionGroup var options: DaemonOptions
    @Option(name: .long, help: "Where installed plugins are (default: plugins).")
    var directory = "plugins"

    func run() throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let enabled = Set(configuration.plugins.map(\.manifest.name.rawValue))
        for plugin in configuration.plugins {
            print("\(plugin.manifest.name): enabled, valid — \(Self.describe(plugin.manifest))")
        }
        for entry in PluginCatalog.scan(directory) where !enabled.contains(entry.name) {
            switch entry.configuration {
            case .success(let plugin): print("\(entry.name): installed, not enabled, valid — \(Self.describe(plugin.manifest))")
            case .failure(let error): print("\(entry.name): installed, not enabled, INVALID: \(error)")
            }
        }
    }

    static func describe(_ manifest: PluginManifest) -> String {
        let parts = manifest.commands.map { "!" + $0.name } + manifest.hooks.map(\.label).sorted()
        return "\(manifest.version), \(parts.isEmpty ? "no commands or hooks" : parts.joined(separator: ", ")): \(manifest.description)"
    }
}

/// `parley plugins check NAME`: starts the plugin, completes the handshake, lists what it
/// offers; with `--calls N`, times N calls of its review hook (the plugin's cost on every
/// message it reviews), as median and 99th percentile.
struct PluginsCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Start a plugin and check that it answers.")

    @OptionGroup var options: DaemonOptions
    @OptionGroup var choice: PluginChoice
    @Option(name: .long, help: "Review calls to time (0: none).") var calls = 0

    var name: String { choice.name }

    func run() async throws {
        let (configuration, plugin) = try choice.load(options)
        let logger = options.bootstrapLogging(configuration.logging)
        let host = PluginHost(configuration: plugin, logger: logger)
        let running = Task { await host.runUntilCancelled() }
        defer { running.cancel() }
        let started = ContinuousClock.now
        let ready = Task { try await host.waitUntilReady() }
        let deadline = Task {
            try await Task.sleep(for: .seconds(10))
            ready.cancel()
        }
        do {
            try await ready.value
            deadline.cancel()
        } catch {
            print("\(name): FAILED to start: \(await host.state)")
            running.cancel()
            await running.value
            throw ExitCode(1)
        }
        print("\(name): ready in \(Self.milliseconds(ContinuousClock.now - started)) ms — \(PluginsList.describe(plugin.manifest))")
        if calls > 0 {
            guard let hook = ProcessPlugin(host: host).inboundHooks.first else {
                print("\(name): has no review hook to time")
                throw ExitCode(1)
            }
            let message = InboundMessage(
                id: "bench", channel: ChannelKey(network: "bench", channel: "#bench"),
                sender: Sender(id: "alice", displayName: "alice", account: "alice"), text: "parley: how long does a review take?",
                addressing: .addressed(body: "how long does a review take?"))
            var samples: [Duration] = []
            for _ in 0..<calls {
                let start = ContinuousClock.now
                _ = await hook.review(message, InboundReview(isRequest: true))
                samples.append(ContinuousClock.now - start)
            }
            samples.sort()
            let p50 = samples[samples.count / 2], p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
            print("\(name): review hook, \(calls) calls: p50 \(Self.milliseconds(p50)) ms, p99 \(Self.milliseconds(p99)) ms, state \(await host.state)")
        }
        running.cancel()
        await running.value
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3f", duration.inSeconds * 1000)
    }
}

/// `parley plugins test NAME --script FILE`: runs the plugin in a whole bot, in memory (a
/// scripted model, a store that leaves no trace), through a scripted conversation; exit 1 at
/// the first answer that differs. The kit plugin authors use.
struct PluginsTest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Run a plugin through a scripted conversation.")

    @OptionGroup var options: DaemonOptions
    @OptionGroup var choice: PluginChoice
    @Option(name: .long, help: "The conversation (lines: > someone says, < the bot answers exactly, <~ the answer contains, # comment).")
    var script: String

    var name: String { choice.name }

    func run() async throws {
        let (configuration, plugin) = try choice.load(options)
        let logger = options.bootstrapLogging(configuration.logging)
        let conversation: PluginScript
        do {
            conversation = try PluginScript(parsing: try String(contentsOfFile: script, encoding: .utf8), file: script)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(65)
        }
        let host = PluginHost(configuration: plugin, logger: logger, store: MemoryPluginStore())
        let running = Task { await host.runUntilCancelled() }
        let tester = BotTester(
            configuration: BotConfiguration(name: configuration.bot.name, commandPrefix: configuration.bot.commandPrefix),
            backends: [ScriptedBackend(replying: "(the model's answer)")], plugins: [ProcessPlugin(host: host)])
        await host.connect { [bot = tester.bot] text, channel in await bot.announce(text, in: channel) }
        defer { running.cancel() }
        do {
            try await host.waitUntilReady()
            let checked = try await conversation.run(on: tester, file: script)
            print("\(name): \(checked) answers as the script expects")
        } catch {
            print("\(name): FAILED: \(error)")
            await tester.stop()
            throw ExitCode(1)
        }
        await tester.stop()
    }
}

/// The plugin a subcommand works on: enabled in the config (with its settings), or installed in
/// `--directory` (with its defaults).
struct PluginChoice: ParsableArguments {
    @Argument(help: "The plugin's name.") var name: String
    @Option(name: .long, help: "Where installed plugins are, for one the config does not enable (default: plugins).")
    var directory = "plugins"

    func load(_ options: DaemonOptions) throws -> (ParleyConfiguration, PluginConfiguration) {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let plugin = try reportingInputErrors {
            try configuration.plugins.first { $0.manifest.name.rawValue == name }
                ?? PluginCatalog.read(name: name, directory: (directory as NSString).appendingPathComponent(name))
        }
        return (configuration, plugin)
    }
}
