public import ParleyCore

/// A plugin's name, as its folder and its manifest spell it (`factoids`).
public struct PluginName: StringIdentifier, Comparable {
    public let rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func < (lhs: PluginName, rhs: PluginName) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// What a plugin declares in `plugins/NAME/plugin.yaml`: who it is, how to run it, and what it
/// may be asked and may do. The bot asks a plugin only what its manifest lists.
public struct PluginManifest: Sendable, Hashable {
    /// A command the plugin answers (`!fact`).
    public struct CommandSpec: Sendable, Hashable {
        public var name: String
        public var aliases: [String]
        public var usage: String
        public var help: String
        public var adminOnly: Bool

        public init(name: String, aliases: [String] = [], usage: String? = nil, help: String, adminOnly: Bool = false) {
            self.name = name
            self.aliases = aliases
            self.usage = usage ?? name
            self.help = help
            self.adminOnly = adminOnly
        }
    }

    /// The points where the bot consults the plugin.
    public enum Hook: String, Sendable, Hashable, CaseIterable {
        /// Reviews what people send, before the bot reads it as a request.
        case inbound
        /// Reviews what the bot is about to say, before the sanitiser.
        case outbound
        /// Adds text to the prompt of each reply (`context`).
        case context

        /// What the hook does, for lists (`inbound review`, `prompt context`).
        public var label: String {
            switch self {
            case .inbound: "inbound review"
            case .outbound: "outbound review"
            case .context: "prompt context"
            }
        }
    }

    public struct Permissions: Sendable, Hashable {
        /// Sees every line in the channels it is enabled in, not only what addresses the bot.
        public var chatter: Bool
        /// Keeps keys and values in Parley's store.
        public var store: Bool
        /// Says things unprompted (`send`): reminders, announcements.
        public var send: Bool

        public init(chatter: Bool = false, store: Bool = false, send: Bool = false) {
            self.chatter = chatter
            self.store = store
            self.send = send
        }
    }

    /// A setting the plugin takes from the config, with its type and default.
    public struct Setting: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            case string, integer, boolean, list
        }

        public var name: String
        public var kind: Kind
        /// Absent: the setting must be given.
        public var defaultValue: JSONValue?
        public var help: String

        public init(name: String, kind: Kind, defaultValue: JSONValue?, help: String = "") {
            self.name = name
            self.kind = kind
            self.defaultValue = defaultValue
            self.help = help
        }
    }

    /// The protocol version this Parley speaks (`plugins/README.md`).
    public static let protocolVersion = 1

    public var name: PluginName
    public var version: String
    public var description: String
    /// The program and its arguments, run in the plugin's folder.
    public var run: [String]
    /// The plugin's folder.
    public var directory: String
    public var commands: [CommandSpec]
    public var hooks: Set<Hook>
    public var permissions: Permissions
    public var settings: [Setting]
    /// What the plugin is told as it happens (`event` notifications).
    public var events: Set<Event>

    /// Things a plugin can be told as they happen.
    public enum Event: String, Sendable, Hashable, CaseIterable {
        /// A message the inbound hooks let through; chatter only with the `chatter` permission.
        case message
        /// The bot finished a reply.
        case reply = "reply_sent"
        /// Someone joined a channel the bot is in.
        case join
        /// Someone left a channel the bot is in (parted, was kicked, quit).
        case part
    }

    public init(
        name: PluginName, version: String, description: String, run: [String], directory: String,
        commands: [CommandSpec] = [], hooks: Set<Hook> = [], permissions: Permissions = Permissions(), settings: [Setting] = [],
        events: Set<Event> = []
    ) {
        self.name = name
        self.version = version
        self.description = description
        self.run = run
        self.directory = directory
        self.commands = commands
        self.hooks = hooks
        self.permissions = permissions
        self.settings = settings
        self.events = events
    }
}

/// How the bot runs one enabled plugin: its manifest, the settings the config gives it, and the
/// limits that keep a bad plugin from hurting the bot.
public struct PluginConfiguration: Sendable, Equatable {
    /// What a review hook's verdict is when the plugin cannot give one in time.
    public enum FailureMode: String, Sendable, Hashable {
        /// Let the message through (the default: a broken helper must not silence a channel).
        case open
        /// Drop the message.
        case closed
    }

    public var manifest: PluginManifest
    /// Every declared setting, the config's value or the default.
    public var settings: [String: JSONValue]
    /// The longest one call may take before the plugin is taken for hung and restarted.
    public var timeout: Duration
    public var onFailure: FailureMode
    /// Crashes within `crashWindow` that disable the plugin until it is reloaded.
    public var maxCrashes: Int
    public var crashWindow: Duration
    /// The longest line the plugin may write.
    public var maxLineBytes: Int

    public init(
        manifest: PluginManifest, settings: [String: JSONValue] = [:], timeout: Duration = .seconds(2),
        onFailure: FailureMode = .open, maxCrashes: Int = 5, crashWindow: Duration = .seconds(300), maxLineBytes: Int = 1 << 20
    ) {
        self.manifest = manifest
        self.settings = settings
        self.timeout = timeout
        self.onFailure = onFailure
        self.maxCrashes = maxCrashes
        self.crashWindow = crashWindow
        self.maxLineBytes = maxLineBytes
    }
}
