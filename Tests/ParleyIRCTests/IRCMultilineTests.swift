@testable import ParleyIRC
import Testing

/// `draft/multiline`: the server's limits, replies cut into batches within them, and batches
/// others send joined into one message.
@Suite struct IRCMultilineTests {
    @Test func limitsComeFromTheCapabilityAndMaxBytesIsRequired() {
        #expect(IRCMultiline(capabilityValue: "max-bytes=4096,max-lines=24") == IRCMultiline(maxBytes: 4096, maxLines: 24))
        #expect(IRCMultiline(capabilityValue: "max-lines=24,max-bytes=40000") == IRCMultiline(maxBytes: 40000, maxLines: 24))
        #expect(IRCMultiline(capabilityValue: "max-bytes=512") == IRCMultiline(maxBytes: 512, maxLines: nil))
        #expect(IRCMultiline(capabilityValue: "max-lines=24") == nil)
        #expect(IRCMultiline(capabilityValue: "max-bytes=0") == nil)
        #expect(IRCMultiline(capabilityValue: "max-bytes=lots") == nil)
        #expect(IRCMultiline(capabilityValue: "") == nil)
    }

    func wire(_ limits: IRCMultiline, _ lines: [String], tags: [String: String] = [:]) throws -> [String] {
        var made = 0
        return try limits.messages(command: "PRIVMSG", target: "#c", lines: lines, tags: tags) {
            made += 1
            return "b\(made)"
        }.map { try $0.serialized() }
    }

    @Test func linesAreCutIntoBatchesByLinesAndBytesAndALoneLineGoesPlain() throws {
        #expect(try wire(IRCMultiline(maxBytes: 100, maxLines: 2), ["a", "b", "c"], tags: ["+draft/reply": "q"]) == [
            "@+draft/reply=q BATCH +b1 draft/multiline #c", "@batch=b1 PRIVMSG #c a", "@batch=b1 PRIVMSG #c b", "BATCH -b1",
            "@+draft/reply=q PRIVMSG #c c",
        ])
        // "aaaa" + "\n" + "bbbb" is 9 bytes: over 8, so two plain messages.
        #expect(try wire(IRCMultiline(maxBytes: 8, maxLines: nil), ["aaaa", "bbbb"]) == ["PRIVMSG #c aaaa", "PRIVMSG #c bbbb"])
        #expect(try wire(IRCMultiline(maxBytes: 9, maxLines: nil), ["aaaa", "bbbb"]) == [
            "BATCH +b1 draft/multiline #c", "@batch=b1 PRIVMSG #c aaaa", "@batch=b1 PRIVMSG #c bbbb", "BATCH -b1",
        ])
        // A line longer than max-bytes still goes, alone.
        #expect(try wire(IRCMultiline(maxBytes: 2, maxLines: nil), ["long line"]) == ["PRIVMSG #c :long line"])
    }

    @Test func aBatchSomeoneSendsArrivesAsOneMessage() throws {
        var assembler = IRCMultilineAssembler()
        let lines = [
            "@msgid=m1;account=alice :alice!a@h BATCH +x draft/multiline #c",
            "@batch=x :alice!a@h PRIVMSG #c :parley: look",
            "@batch=x :alice!a@h PRIVMSG #c :at this",
            "@batch=x;draft/multiline-concat :alice!a@h PRIVMSG #c : line",
        ]
        for line in lines { #expect(assembler.take(try IRCMessage(parsing: line)) == .gathered) }
        #expect(assembler.take(try IRCMessage(parsing: ":irc.test PRIVMSG #c :not in the batch")) == .notMine)
        #expect(assembler.take(try IRCMessage(parsing: "BATCH -x")) == .complete(IRCMessage(
            tags: ["msgid": "m1", "account": "alice"], source: IRCSource(nick: "alice", user: "a", host: "h"),
            "PRIVMSG", ["#c", "parley: look\nat this line"])))
        // Other batch types, and the end of a batch never opened, are not the assembler's.
        #expect(assembler.take(try IRCMessage(parsing: "BATCH +n netsplit irc.a irc.b")) == .notMine)
        #expect(assembler.take(try IRCMessage(parsing: "BATCH -n")) == .notMine)
    }

    @Test func aHostileBatchIsBounded() throws {
        var assembler = IRCMultilineAssembler()
        _ = assembler.take(try IRCMessage(parsing: ":m!m@h BATCH +big draft/multiline #c"))
        for index in 0..<(IRCMultilineAssembler.maxLines + 50) {
            _ = assembler.take(try IRCMessage(parsing: "@batch=big :m!m@h PRIVMSG #c :line \(index)"))
        }
        guard case .complete(let whole) = assembler.take(try IRCMessage(parsing: "BATCH -big")) else {
            Issue.record("the batch did not complete")
            return
        }
        #expect(whole.parameters[1].split(separator: "\n").count == IRCMultilineAssembler.maxLines)
        // Batches never closed: the oldest are forgotten past maxOpen.
        for index in 0...IRCMultilineAssembler.maxOpen {
            _ = assembler.take(try IRCMessage(parsing: ":m!m@h BATCH +o\(index) draft/multiline #c"))
        }
        #expect(assembler.take(try IRCMessage(parsing: "@batch=o0 :m!m@h PRIVMSG #c :x")) == .notMine)
        #expect(assembler.take(try IRCMessage(parsing: "@batch=o1 :m!m@h PRIVMSG #c :x")) == .gathered)
    }
}
