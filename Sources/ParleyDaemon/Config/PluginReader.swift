import Foundation
import ParleyCore
import ParleyPlugins

/// Reads the `plugins:` section, and each enabled plugin's manifest (`plugin.yaml` in its
/// folder), checking the config's settings against what the manifest declares.
///
/// ```yaml
/// plugins:
///   factoids: {}                          # enabled, from plugins/factoids
///   remind: { path: /opt/parley/remind, timeout_ms: 3000, on_failure: closed,
///             settings: { timezone: Europe/Paris } }
/// ```
enum PluginReader {
    static let keys = ["path", "enabled", "timeout_ms", "on_failure", "max_crashes", "settings"]

    static func read(_ node: ConfigNode) throws -> [PluginConfiguration] {
        var plugins: [PluginConfiguration] = []
        for (name, entry) in try node.namedEntries() {
            guard isPluginName(name) else {
                throw entry.invalid("'\(name)' is not a plugin name (lowercase letters, digits, - and _)")
            }
            let map = try entry.mapping(keys: keys)
            if try map["enabled"]?.bool() == false { continue }
            let directory = try map["path"]?.nonEmptyString() ?? "plugins/\(name)"
            let manifest = try readManifest(name: name, directory: directory, from: map["path"] ?? entry)
            var configuration = PluginConfiguration(
                manifest: manifest, settings: try settings(map["settings"], declared: manifest.settings, at: entry))
            if let timeout = map["timeout_ms"] { configuration.timeout = .milliseconds(try timeout.int(in: 10...600_000)) }
            if let mode = map["on_failure"] {
                configuration.onFailure = try mode.choice([("open", .open), ("closed", .closed)])
            }
            if let crashes = map["max_crashes"] { configuration.maxCrashes = try crashes.int(in: 1...1000) }
            plugins.append(configuration)
        }
        return plugins
    }

    static func isPluginName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }

    // MARK: - The manifest

    static let manifestKeys = ["name", "version", "description", "protocol", "run", "commands", "hooks", "permissions", "settings", "events"]

    /// Reads `directory/plugin.yaml`; errors name that file and line.
    static func readManifest(name: String, directory: String, from node: ConfigNode) throws -> PluginManifest {
        let file = (directory as NSString).appendingPathComponent("plugin.yaml")
        let root = try node.document(at: file) { "plugin \(name): cannot read \(file) (\($0)); is the plugin installed in \(directory)?" }
        let map = try root.mapping(keys: manifestKeys)
        let declared = try map.required("name")
        guard try declared.nonEmptyString() == name else {
            throw declared.invalid("the manifest names the plugin '\(try declared.string())', but the config enables it as '\(name)'")
        }
        let version = try map.required("protocol")
        let spoken = try version.int(in: 0...1000)
        guard spoken == PluginManifest.protocolVersion else {
            throw version.invalid("the plugin speaks protocol \(spoken); this Parley speaks \(PluginManifest.protocolVersion)")
        }
        let run = try map.required("run").stringList()
        guard !run.isEmpty, !run[0].isEmpty else { throw try map.required("run").invalid("give the program to run, e.g. [python3, plugin.py]") }
        var commands: [PluginManifest.CommandSpec] = []
        for entry in try map["commands"]?.list() ?? [] {
            let command = try entry.mapping(keys: ["name", "aliases", "usage", "help", "admin"])
            let nameNode = try command.required("name")
            let commandName = try nameNode.nonEmptyString()
            guard isPluginName(commandName) else { throw nameNode.invalid("'\(commandName)' is not a command word (lowercase, no spaces)") }
            commands.append(.init(
                name: commandName, aliases: try command["aliases"]?.stringList() ?? [], usage: try command["usage"]?.nonEmptyString(),
                help: try command.required("help").nonEmptyString(), adminOnly: try command["admin"]?.bool() ?? false))
        }
        var hooks: Set<PluginManifest.Hook> = []
        for entry in try map["hooks"]?.list() ?? [] {
            hooks.insert(try entry.choice(PluginManifest.Hook.allCases.map { ($0.rawValue, $0) }))
        }
        var events: Set<PluginManifest.Event> = []
        for entry in try map["events"]?.list() ?? [] {
            events.insert(try entry.choice(PluginManifest.Event.allCases.map { ($0.rawValue, $0) }))
        }
        var permissions = PluginManifest.Permissions()
        if let node = map["permissions"] {
            let granted = try node.mapping(keys: ["chatter", "store", "send"])
            permissions.chatter = try granted["chatter"]?.bool() ?? false
            permissions.store = try granted["store"]?.bool() ?? false
            permissions.send = try granted["send"]?.bool() ?? false
        }
        var settings: [PluginManifest.Setting] = []
        for (settingName, entry) in try map["settings"]?.namedEntries() ?? [] {
            let setting = try entry.mapping(keys: ["type", "default", "help"])
            let kind = try setting.required("type").choice(PluginManifest.Setting.Kind.allCases.map { ($0.rawValue, $0) })
            settings.append(.init(
                name: settingName, kind: kind, defaultValue: try setting["default"].map { try value($0, as: kind) },
                help: try setting["help"]?.string() ?? ""))
        }
        return PluginManifest(
            name: PluginName(name), version: try map["version"]?.nonEmptyString() ?? "0",
            description: try map["description"]?.string() ?? "", run: run, directory: directory, commands: commands,
            hooks: hooks, permissions: permissions, settings: settings, events: events)
    }

    // MARK: - Settings

    /// The config's settings, each checked against its declaration; defaults fill the rest. A
    /// string setting may come from a file (`NAME_file`), as secrets do everywhere.
    static func settings(_ node: ConfigNode?, declared: [PluginManifest.Setting], at entry: ConfigNode) throws -> [String: JSONValue] {
        var values: [String: JSONValue] = [:]
        let names = declared.map(\.name)
        let fileNames = declared.filter { $0.kind == .string }.map { $0.name + "_file" }
        let given = try node?.mapping(keys: names + fileNames)
        for setting in declared {
            if setting.kind == .string, let secret = try given?.secret(setting.name) {
                values[setting.name] = .string(secret.value)
            } else if let value = given?[setting.name] {
                values[setting.name] = try Self.value(value, as: setting.kind)
            } else if let fallback = setting.defaultValue {
                values[setting.name] = fallback
            } else {
                throw (node ?? entry).invalid("the plugin needs setting '\(setting.name)' (\(setting.kind.rawValue))\(setting.help.isEmpty ? "" : ": \(setting.help)")")
            }
        }
        return values
    }

    static func value(_ node: ConfigNode, as kind: PluginManifest.Setting.Kind) throws -> JSONValue {
        switch kind {
        case .string: .string(try node.string())
        case .integer: .number(Double(try node.int(in: Int(Int32.min)...Int(Int32.max))))
        case .boolean: .bool(try node.bool())
        case .list: .array(try node.stringList().map(JSONValue.string))
        }
    }
}
