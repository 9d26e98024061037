public import ParleyCore

/// A plugin that runs as its own program, as the core sees it: the commands its manifest
/// lists, and its review hook. Every call goes to the `PluginHost`, and whatever the plugin
/// answers is said through the bot's outbox like any other reply.
public struct ProcessPlugin: Plugin {
    public let host: PluginHost

    public init(host: PluginHost) {
        self.host = host
    }

    public var name: String { host.name.rawValue }

    public var commands: [any Command] {
        host.configuration.manifest.commands.map { PluginCommand(spec: $0, host: host) }
    }

    public var inboundHooks: [any ModerationHook] {
        host.configuration.manifest.hooks.contains(.inbound) ? [PluginReviewHook(host: host)] : []
    }

    public var outboundHooks: [any ModerationHook] {
        host.configuration.manifest.hooks.contains(.outbound) ? [PluginReviewHook(host: host)] : []
    }

    public var contextProviders: [any ContextProvider] {
        host.configuration.manifest.hooks.contains(.context) ? [PluginContextProvider(host: host)] : []
    }

    public func forget(_ user: UserID, on network: NetworkID) async throws -> Int {
        try await host.forget(PluginValueOwner(network: network, user: user))
    }

    /// Tells the plugin, without waiting for it (an `event` notification, no answer).
    public func observe(_ event: BotEvent) async {
        let manifest = host.configuration.manifest
        switch event {
        case .message(let message, let isRequest):
            guard manifest.events.contains(.message), isRequest || manifest.permissions.chatter else { return }
            await host.notify("event", .object([
                "type": .string("message"), "message": PluginMessage.json(message), "is_request": .bool(isRequest),
            ]))
        case .replySent(let message, let text):
            guard manifest.events.contains(.reply) else { return }
            await host.notify("event", .object([
                "type": .string("reply_sent"), "message": PluginMessage.json(message), "text": .string(text),
            ]))
        case .membership(let channel, let person, let change):
            let event: PluginManifest.Event = change == .joined ? .join : .part
            guard manifest.events.contains(event) else { return }
            await host.notify("event", .object([
                "type": .string(event.rawValue), "network": .string(channel.network.rawValue), "channel": .string(channel.channel),
                "sender": PluginMessage.json(person),
            ]))
        }
    }
}

/// One of a plugin's commands: `command` with the arguments and the message; the plugin's
/// `reply` goes back to the channel.
struct PluginCommand: Command {
    let spec: PluginManifest.CommandSpec
    let host: PluginHost

    var name: String { spec.name }
    var aliases: [String] { spec.aliases }
    var summary: String { spec.help }
    var usage: String { spec.usage }
    var requiresAdmin: Bool { spec.adminOnly }

    func run(_ invocation: CommandInvocation) async throws -> String? {
        let result = try await host.call("command", .object([
            "command": .string(spec.name),
            "arguments": .string(invocation.arguments),
            "message": PluginMessage.json(invocation.message),
        ]))
        return result["reply"]?.string
    }
}

/// The plugin's inbound review. Without the chatter permission it is asked only about messages
/// that address the bot; when it cannot answer, the configured failure mode decides.
struct PluginReviewHook: ModerationHook {
    let host: PluginHost

    var name: String { "plugin:\(host.name)" }

    func review(_ message: InboundMessage, _ review: InboundReview) async -> ModerationVerdict {
        let configuration = host.configuration
        guard review.isRequest || configuration.manifest.permissions.chatter else { return .allow }
        let answer: JSONValue
        do {
            answer = try await host.call("review", .object([
                "direction": .string("inbound"), "message": PluginMessage.json(message), "is_request": .bool(review.isRequest),
            ]))
        } catch {
            switch configuration.onFailure {
            case .open: return .allow
            case .closed: return .drop(reason: "\(error)")
            }
        }
        return PluginMessage.verdict(answer, plugin: host.name)
    }

    /// What the bot is about to say: allow, rewrite, drop or escalate (`respond` reads as a
    /// rewrite to its text).
    func review(draft: String, _ review: OutboundReview) async -> ModerationVerdict {
        let configuration = host.configuration
        let answer: JSONValue
        do {
            answer = try await host.call("review", .object([
                "direction": .string("outbound"), "draft": .string(draft),
                "network": .string(review.channel.network.rawValue), "channel": .string(review.channel.channel),
            ]))
        } catch {
            switch configuration.onFailure {
            case .open: return .allow
            case .closed: return .drop(reason: "\(error)")
            }
        }
        switch PluginMessage.verdict(answer, plugin: host.name) {
        case .respond(let text, let reason): return .rewrite(text, reason: reason)
        case let verdict: return verdict
        }
    }
}

/// How messages and verdicts look on the wire (`plugins/README.md`).
enum PluginMessage {
    static func json(_ person: Sender) -> JSONValue {
        var sender: [String: JSONValue] = [
            "id": .string(person.id.rawValue),
            "name": .string(person.displayName),
            "operator": .bool(person.isOperator),
            "bot": .bool(person.isBot),
        ]
        if let account = person.account { sender["account"] = .string(account) }
        return .object(sender)
    }

    static func json(_ message: InboundMessage) -> JSONValue {
        .object([
            "id": .string(message.id.rawValue),
            "network": .string(message.channel.network.rawValue),
            "channel": .string(message.channel.channel),
            "direct": .bool(message.isDirect),
            "sender": json(message.sender),
            "text": .string(message.text),
        ])
    }

    /// A review's answer; anything unreadable lets the message through and is logged by name.
    static func verdict(_ answer: JSONValue, plugin: PluginName) -> ModerationVerdict {
        let reason = answer["reason"]?.string ?? "plugin \(plugin)"
        switch answer["verdict"]?.string {
        case "drop": return .drop(reason: reason)
        case "rewrite":
            guard let text = answer["text"]?.string else { return .allow }
            return .rewrite(text, reason: reason)
        case "respond":
            guard let text = answer["text"]?.string else { return .allow }
            return .respond(text, reason: reason)
        case "escalate": return .escalate(reason: reason)
        default: return .allow
        }
    }
}

/// The plugin's text for the prompt of one reply (`context`); nothing when it cannot answer.
struct PluginContextProvider: ContextProvider {
    let host: PluginHost

    var name: String { "plugin:\(host.name)" }

    func context(for message: InboundMessage) async -> String? {
        let answer = try? await host.call("context", .object(["message": PluginMessage.json(message)]))
        return answer?["text"]?.string
    }
}
