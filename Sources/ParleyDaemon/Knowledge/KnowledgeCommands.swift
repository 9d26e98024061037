public import Logging
public import ParleyCore
import ParleyStore
import Foundation

/// What `parley knowledge index` and `search` do, on the config's store.
public enum KnowledgeCommands {
    public struct IndexReport: Sendable {
        public var files: Int
        public var indexed: Int
        public var passages: Int
        public var removed: Int
        public var skipped: [String]
    }

    public static func index(_ configuration: ParleyConfiguration, logger: Logger) async throws -> IndexReport {
        let store = try SQLiteStore(path: configuration.storage.path)
        let roots = knowledge(of: configuration).flatMap(\.policy.paths)
        let report = try await KnowledgeIndexer(store: store, logger: logger).index(roots)
        return IndexReport(files: report.files, indexed: report.indexed, passages: report.passages, removed: report.removed, skipped: report.skipped)
    }

    /// The passages `question` finds for a channel of the config (`NETWORK/CHANNEL`), or in a
    /// folder or file; with the channel's `min_score` when it is a channel.
    public static func search(
        _ target: String, _ question: String, top: Int, configuration: ParleyConfiguration, logger: Logger
    ) async throws -> (passages: [KnowledgePassage], minScore: Double?) {
        if FileManager.default.fileExists(atPath: target) {
            let store = try SQLiteStore(path: ":memory:")
            _ = try await KnowledgeIndexer(store: store, logger: logger).index([target])
            return (try await store.search(question, in: [target], limit: top), nil)
        }
        let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw KnowledgeCommandError.unknownTarget(target) }
        let channel = ChannelKey(network: NetworkID(parts[0]), channel: parts[1])
        guard let policy = configuration.policies.configuredPolicy(for: channel, isDirect: false).knowledge else {
            throw KnowledgeCommandError.noKnowledge(target)
        }
        let store = try SQLiteStore(path: configuration.storage.path)
        _ = try await KnowledgeIndexer(store: store, logger: logger).index(policy.paths)
        return (try await store.search(question, in: policy.paths, limit: top), policy.minScore)
    }

    static func knowledge(of configuration: ParleyConfiguration) -> [(rule: Int?, policy: KnowledgePolicy)] {
        configuration.policies.rules.enumerated().compactMap { index, rule in rule.policy.knowledge.map { (index, $0) } }
            + (configuration.policies.fallback.knowledge.map { [(nil, $0)] } ?? [])
    }
}

/// A `parley knowledge search` target that is neither a path nor a channel with knowledge.
public enum KnowledgeCommandError: Error, CustomStringConvertible {
    case unknownTarget(String)
    case noKnowledge(String)

    public var description: String {
        switch self {
        case .unknownTarget(let target): "'\(target)' is neither a file or folder nor a channel written NETWORK/CHANNEL"
        case .noKnowledge(let target): "the config gives \(target) no knowledge: (add knowledge: {paths: [...]} to its channel rule)"
        }
    }
}
