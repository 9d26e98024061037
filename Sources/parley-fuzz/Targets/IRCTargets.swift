import ParleyCore
@testable import ParleyIRC

extension FuzzTarget {
    /// What an IRC server sends, cut as the network may cut it, through the line framer, the
    /// message parser and the client state machine (registered with SCRAM-SHA-256, so hostile
    /// AUTHENTICATE challenges reach the SCRAM exchange). Properties: the lines do not depend on
    /// where the bytes were cut; no line is longer than the framer's limit; everything the client
    /// answers is one line on the wire (no CR, LF or NUL from the server gets into a command).
    static let ircClient = FuzzTarget(name: "irc-client", summary: "server bytes → framer, parser, client state machine") { data in
        var input = FuzzInput(data)
        let pieceSize = input.int(in: 1...64)
        let secure = input.bool()

        var whole = IRCLineFramer()
        let lines = whole.append(input.rest)
        var cut = IRCLineFramer()
        let cutLines = input.restInPieces(of: pieceSize).flatMap { cut.append($0) }
        expect(lines == cutLines, "lines depend on where the bytes were cut (pieces of \(pieceSize))")

        var state = IRCClientState(
            configuration: IRCSessionConfiguration(
                nick: "parley", sasl: .scramSHA256(account: "parley", password: Secret("pencil")),
                nickServPassword: Secret("pencil"), channels: [.init("#parley"), .init("#keyed", key: Secret("k"))],
                joinOnInvite: true),
            isSecure: secure)
        var now = Duration.zero
        checkOneLine(state.connected(now: now))
        for line in lines {
            expect(line.count <= IRCLineFramer.maxLineBytes, "a \(line.count)-byte line passed the framer")
            expect(!line.contains(UInt8(ascii: "\n")), "a line holds LF")
            guard let message = try? IRCMessage(parsing: String(decoding: line, as: UTF8.self)) else { continue }
            if let wire = try? message.serialized(limit: IRCLineFramer.maxLineBytes) {
                expect(isOneLine(wire), "a parsed message serialises to more than one line: \(wire.debugDescription)")
            }
            now += .milliseconds(700)
            checkOneLine(state.received(message, now: now))
            checkOneLine(state.tick(now: now))
        }
    }

    /// A model's reply (hostile text: control characters, CR, mixed Markdown) through IRC's
    /// Markdown rendering and the line splitter, as the connector sends it. Properties: every
    /// body fits its budget, holds no CR, LF or NUL, and a PRIVMSG of it is one line.
    static let ircReply = FuzzTarget(name: "irc-reply", summary: "model text → IRC Markdown, line splitter, PRIVMSG") { data in
        var input = FuzzInput(data)
        let markdown = IRCMarkdown.allCases[input.int(in: 0...IRCMarkdown.allCases.count - 1)]
        let budget = input.int(in: 16...400)
        let text = String(decoding: input.rest, as: UTF8.self)
        var inCodeBlock = false
        let rendered = text.split(separator: "\n", omittingEmptySubsequences: false).compactMap {
            markdown.render(line: String($0), inCodeBlock: &inCodeBlock)
        }.joined(separator: "\n")
        let splitter = IRCLineSplitter(budget: budget, keepFormatting: markdown == .format)
        for body in splitter.split(rendered) {
            expect(body.utf8.count <= budget, "a \(body.utf8.count)-byte body over a budget of \(budget)")
            expect(!body.isEmpty, "an empty body")
            let message = IRCMessage("PRIVMSG", ["#parley", body])
            guard let wire = try? message.serialized() else { continue }
            expect(isOneLine(wire), "a reply became more than one line: \(wire.debugDescription)")
        }
    }
}

private func isOneLine(_ wire: String) -> Bool {
    let body = wire.hasSuffix("\r\n") ? wire.utf8.dropLast(2) : wire.utf8[...]
    return !body.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0 }
}

private func checkOneLine(_ actions: [IRCClientAction]) {
    for action in actions {
        let message: IRCMessage
        switch action {
        case .send(let sent, _), .ctcpReply(let sent, _): message = sent
        default: continue
        }
        guard let wire = try? message.serialized() else { continue }
        expect(isOneLine(wire), "the client would send more than one line: \(wire.debugDescription)")
    }
}
