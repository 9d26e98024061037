public import Foundation
public import ParleyPlugins

/// The plugins installed in a folder (`plugins/`), each read as the config would read it with
/// no settings given: for `parley plugins list` and `parley plugins check`.
public enum PluginCatalog {
    public struct Entry: Sendable {
        public let name: String
        public let directory: String
        /// The plugin ready to run, or what is wrong with it (a manifest mistake, a setting it
        /// needs from the config).
        public let configuration: Result<PluginConfiguration, any Error>
    }

    /// Every folder in `directory` that holds a `plugin.yaml`, by name.
    public static func scan(_ directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { name in
            let folder = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("plugin.yaml")) else { return nil }
            return Entry(name: name, directory: folder, configuration: Result { try read(name: name, directory: folder, environment: environment) })
        }
    }

    /// One plugin's folder, read with default settings.
    public static func read(name: String, directory: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PluginConfiguration {
        let quoted = directory.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        let text = "\(name): { path: \"\(quoted)\" }\n"
        let source = ConfigSource(file: "plugins", environment: environment) { path in try TextFile.read(path) }
        let root = ConfigNode(node: try ConfigLoader.compose(text, file: "plugins"), path: "plugins", source: source)
        guard let plugin = try PluginReader.read(root).first else { throw ConfigError.syntax(file: directory, line: nil, message: "not a plugin") }
        return plugin
    }
}
