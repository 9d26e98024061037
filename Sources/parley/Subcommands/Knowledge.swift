import ArgumentParser
import Foundation
import ParleyCore
import ParleyDaemon

/// `parley knowledge …`: the operator's documents the helpdesk answers from.
struct KnowledgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "knowledge", abstract: "Index and search the documents channels answer from.",
        subcommands: [KnowledgeIndex.self, KnowledgeSearch.self, KnowledgeEval.self])
}

/// `parley knowledge index`: brings the config's store up to date with every channel's files.
struct KnowledgeIndex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "index", abstract: "Index every channel's knowledge files now.")

    @OptionGroup var options: DaemonOptions

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let logger = options.bootstrapLogging(configuration.logging)
        let report = try await KnowledgeCommands.index(configuration, logger: logger)
        print("\(report.files) files, \(report.indexed) indexed again (\(report.passages) passages), \(report.removed) removed")
        for problem in report.skipped { print("skipped: \(problem)") }
    }
}

/// `parley knowledge search CHANNEL-OR-PATH "question"`: the ranked passages and their scores.
struct KnowledgeSearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search", abstract: "Show the passages a question finds, ranked, with scores.")

    @OptionGroup var options: DaemonOptions

    @Argument(help: "A channel (NETWORK/CHANNEL, as in the config) or a folder or file of documents.")
    var target: String

    @Argument(help: "The question, as a customer would ask it.")
    var question: String

    @Option(help: "How many passages to show.")
    var top = 5

    func run() async throws {
        let configuration = try reportingInputErrors { try options.loadConfiguration() }
        let logger = options.bootstrapLogging(configuration.logging)
        let (passages, minScore) = try await KnowledgeCommands.search(target, question, top: top, configuration: configuration, logger: logger)
        if passages.isEmpty { print("no passage matches") }
        for (rank, passage) in passages.enumerated() {
            let below = minScore.map { passage.coverage < $0 ? " (below min_score \($0))" : "" } ?? ""
            print(String(format: "%d. bm25 %.2f, words %.0f %%  [%@]  %@%@", rank + 1, passage.score, passage.coverage * 100, passage.title, passage.source, below))
            print("   " + passage.text.prefix(200).replacingOccurrences(of: "\n", with: " "))
        }
    }
}

/// `parley knowledge eval PATH QUESTIONS`: top-1 and top-3 hit rates over a questions file.
struct KnowledgeEval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Measure retrieval: how often each question's passage comes first, and in the first three.")

    @Argument(help: "A folder or file of documents.")
    var path: String

    @Argument(help: "A YAML list of {question, passage: FILE#HEADING or none}.")
    var questions: String

    @Option(name: .customLong("min-score"), help: "The share of a question's words the best passage must hold to be answered.")
    var minScore = KnowledgePolicy.defaultMinScore

    func run() async throws {
        let cases = try reportingInputErrors { try RetrievalEvaluation.cases(fromFile: questions) }
        let result = try await RetrievalEvaluation.run(path: path, cases: cases, minScore: minScore)
        for miss in result.misses {
            print("miss: \"\(miss.question)\" wants \(miss.expected); found \(miss.found.joined(separator: ", "))")
        }
        print(String(format: "top-1: %d/%d (%.1f %%)", result.top1, result.cases, result.top1Rate * 100))
        print(String(format: "top-3: %d/%d (%.1f %%)", result.top3, result.cases, result.top3Rate * 100))
        print("at min_score \(minScore): \(result.answered)/\(result.cases) answerable questions answered, \(result.declined)/\(result.outOfScope) out-of-scope questions declined")
    }
}
