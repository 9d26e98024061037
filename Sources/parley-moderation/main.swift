// parley-moderation: a Parley plugin written in Swift (protocol 1). Reviews what people send
// against a list of patterns and stops a match as the channel's action says: drop it, answer
// the sender, or hand it to humans. See plugins/moderation/plugin.yaml for its settings.
import Foundation
import ParleyCore

/// One line in, one line out: JSON-RPC requests from Parley on stdin, answers on stdout.
struct ModerationPlugin {
    enum Action: String {
        case drop, respond, escalate
    }

    var patterns: [NSRegularExpression] = []
    var action = Action.drop
    var channelActions: [String: Action] = [:]
    var message = "Please keep it civil."
    var reason = "matched the moderation list"

    mutating func configure(_ settings: JSONValue) throws {
        patterns = try (settings["patterns"]?.array ?? []).compactMap(\.string).map {
            try NSRegularExpression(pattern: $0, options: [.caseInsensitive])
        }
        if let name = settings["action"]?.string {
            guard let chosen = Action(rawValue: name) else { throw Invalid(text: "action must be drop, respond or escalate, not \(name)") }
            action = chosen
        }
        for entry in (settings["channel_actions"]?.array ?? []).compactMap(\.string) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let chosen = Action(rawValue: parts[1]) else {
                throw Invalid(text: "channel_actions entries are CHANNEL=drop|respond|escalate, not \(entry)")
            }
            channelActions[parts[0]] = chosen
        }
        message = settings["message"]?.string ?? message
        reason = settings["reason"]?.string ?? reason
    }

    func review(_ params: JSONValue) -> JSONValue {
        guard params["direction"]?.string == "inbound", let text = params["message"]?["text"]?.string else {
            return .object(["verdict": .string("allow")])
        }
        let range = NSRange(text.startIndex..., in: text)
        guard let matched = patterns.first(where: { $0.firstMatch(in: text, range: range) != nil }) else {
            return .object(["verdict": .string("allow")])
        }
        let channel = params["message"]?["channel"]?.string ?? ""
        let why = "\(reason) (\(matched.pattern))"
        switch channelActions[channel] ?? action {
        case .drop: return .object(["verdict": .string("drop"), "reason": .string(why)])
        case .respond: return .object(["verdict": .string("respond"), "text": .string(message), "reason": .string(why)])
        case .escalate: return .object(["verdict": .string("escalate"), "reason": .string(why)])
        }
    }

    struct Invalid: Error {
        let text: String
    }
}

func write(_ message: JSONValue) {
    FileHandle.standardOutput.write(Data((message.compactText + "\n").utf8))
}

var plugin = ModerationPlugin()
while let line = readLine(strippingNewline: true) {
    guard let request = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)),
          let method = request["method"]?.string, let id = request["id"] else { continue }
    let params = request["params"] ?? .null
    var answer: [String: JSONValue] = ["jsonrpc": .string("2.0"), "id": id]
    do {
        switch method {
        case "hello":
            try plugin.configure(params["settings"] ?? .null)
            answer["result"] = .object(["protocol": .number(1)])
        case "review":
            answer["result"] = plugin.review(params)
        default:
            answer["error"] = .object(["code": .number(-32601), "message": .string("no method \(method)")])
        }
    } catch let invalid as ModerationPlugin.Invalid {
        answer["error"] = .object(["code": .number(-32000), "message": .string(invalid.text)])
    } catch {
        answer["error"] = .object(["code": .number(-32000), "message": .string("\(error)")])
    }
    write(.object(answer))
}
