import Foundation
import ParleyCore
@testable import ParleyIRC
import Testing

/// Drives the client state machine with the lines a server sends, checking the exact lines the
/// client writes back. No sockets, no clock: time is a number the test advances.
struct ClientDriver {
    var state: IRCClientState
    var now: Duration = .zero
    /// Everything the client wrote, as wire strings.
    var sent: [String] = []
    var actions: [IRCClientAction] = []

    init(_ configuration: IRCSessionConfiguration) {
        state = IRCClientState(configuration: configuration)
    }

    mutating func connect() {
        record(state.connected(now: now))
    }

    /// Feeds server lines; returns what the client wrote in answer.
    @discardableResult
    mutating func server(_ lines: String...) -> [String] {
        let before = sent.count
        for line in lines { record(state.received(try! IRCMessage(parsing: line), now: now)) }
        return Array(sent[before...])
    }

    @discardableResult
    mutating func advance(_ duration: Duration) -> [String] {
        let before = sent.count
        now += duration
        record(state.tick(now: now))
        return Array(sent[before...])
    }

    private mutating func record(_ new: [IRCClientAction]) {
        actions += new
        for action in new {
            switch action {
            case .send(let message, _), .ctcpReply(let message, _): sent.append(try! message.serialized())
            default: break
            }
        }
    }

    var disconnect: IRCDisconnect? {
        for action in actions { if case .disconnect(let reason) = action { return reason } }
        return nil
    }

    var messages: [IRCChatMessage] {
        actions.compactMap { if case .message(let message) = $0 { message } else { nil } }
    }

    /// Registration through to the end of the MOTD, with the given capabilities offered.
    mutating func register(offering capabilities: String = "message-tags server-time account-tag extended-join multi-prefix", isupport: String = "CASEMAPPING=rfc1459 CHANTYPES=# PREFIX=(ov)@+ WHOX") {
        connect()
        server(":irc.test CAP * LS :\(capabilities)")
        let request = try! IRCMessage(parsing: sent.last!)
        if request.parameters.first == "REQ" { server(":irc.test CAP * ACK :\(request.parameters[1])") }
        server(":irc.test 001 \(state.nick) :Welcome", ":irc.test 005 \(state.nick) \(isupport) :are supported", ":irc.test 376 \(state.nick) :End of MOTD")
    }
}

@Suite struct IRCClientStateTests {
    static let plain = IRCSessionConfiguration(
        nick: "parley", sasl: .plain(account: "parley", password: Secret("hunter2")),
        channels: [.init("#help"), .init("#staff", key: Secret("sekrit"))])

    @Test func registersWithCapabilitiesAndSASLPlain() {
        var client = ClientDriver(Self.plain)
        client.connect()
        #expect(client.sent == ["CAP LS 302", "NICK parley", "USER parley 0 * :Parley chat bot"])
        #expect(client.server(
            ":irc.test CAP * LS * :account-notify account-tag away-notify batch cap-notify chghost",
            ":irc.test CAP * LS :echo-message extended-join message-tags multi-prefix sasl=PLAIN,EXTERNAL server-time unknown-cap"
        ) == ["CAP REQ :account-notify account-tag away-notify batch cap-notify chghost echo-message extended-join message-tags multi-prefix sasl server-time"])
        #expect(client.server(":irc.test CAP * ACK :account-notify account-tag away-notify batch cap-notify chghost echo-message extended-join message-tags multi-prefix sasl server-time")
            == ["AUTHENTICATE PLAIN"])
        // base64("parley\0parley\0hunter2")
        #expect(client.server("AUTHENTICATE :+") == ["AUTHENTICATE cGFybGV5AHBhcmxleQBodW50ZXIy"])
        #expect(client.server(":irc.test 900 parley parley!parley@host parley :You are now logged in as parley") == [])
        #expect(client.server(":irc.test 903 parley :SASL authentication successful") == ["CAP END"])
        #expect(client.state.account == "parley")
        #expect(client.server(":irc.test 001 parley :Welcome", ":irc.test 376 parley :End of MOTD") == ["JOIN #staff,#help sekrit"])
        #expect(client.actions.contains(.registered(nick: "parley")))
        #expect(client.disconnect == nil)
    }

    @Test(arguments: ["904", "905", "906", "902", "908"])
    func aSASLFailureAbortsByDefault(numeric: String) {
        var client = ClientDriver(Self.plain)
        client.connect()
        client.server(":irc.test CAP * LS :sasl", ":irc.test CAP * ACK :sasl", "AUTHENTICATE +")
        #expect(client.server(":irc.test \(numeric) parley :failed") == [])
        guard case .saslFailed(let detail)? = client.disconnect?.reason else {
            Issue.record("no SASL failure for \(numeric)")
            return
        }
        #expect(detail.contains(numeric))
        #expect(!detail.contains("hunter2"))
    }

    @Test func aSASLFailureCanContinueUnauthenticatedWhenConfigured() {
        var configuration = Self.plain
        configuration.onSASLFailure = .continue
        var client = ClientDriver(configuration)
        client.connect()
        client.server(":irc.test CAP * LS :sasl", ":irc.test CAP * ACK :sasl", "AUTHENTICATE +")
        #expect(client.server(":irc.test 904 parley :SASL authentication failed") == ["CAP END"])
        #expect(client.disconnect == nil && client.state.account == nil)
    }

    @Test func silentServicesTimeOutWithAnAbort() {
        var client = ClientDriver(Self.plain)
        client.connect()
        client.server(":irc.test CAP * LS :sasl", ":irc.test CAP * ACK :sasl")
        #expect(client.advance(.seconds(29)) == [])
        #expect(client.advance(.seconds(1)) == ["AUTHENTICATE *"])
        guard case .saslFailed(let detail)? = client.disconnect?.reason else {
            Issue.record("no SASL timeout")
            return
        }
        #expect(detail.contains("did not answer"))
    }

    @Test func aMechanismTheServerDoesNotListIsNotRequested() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", sasl: .plain(account: "p", password: Secret("x")), nickServPassword: Secret("x")))
        client.connect()
        // Only EXTERNAL offered: no sasl in the request, and NickServ instead after 001.
        #expect(client.server(":irc.test CAP * LS :sasl=EXTERNAL message-tags") == ["CAP REQ message-tags"])
        #expect(client.server(":irc.test CAP * ACK message-tags") == ["CAP END"])
        #expect(client.server(":irc.test 001 parley :Welcome") == ["PRIVMSG NickServ :IDENTIFY p x"])
    }

    @Test func longPayloadsAreSplitIntoFourHundredByteChunks() {
        let exact = IRCClientState.authenticateLines([UInt8](repeating: 0x41, count: 300))  // 400 base64 bytes
        #expect(exact.map { $0.parameters[0].count } == [400, 1])
        #expect(exact.last?.parameters == ["+"])
        let long = IRCClientState.authenticateLines([UInt8](repeating: 0x41, count: 700))  // 936 bytes
        #expect(long.map { $0.parameters[0].count } == [400, 400, 136])
        #expect(IRCClientState.authenticateLines([]).map(\.parameters) == [["+"]])
    }

    @Test func nickCollisionsTryTheAlternatesThenDigits() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        client.connect()
        client.server(":irc.test CAP * LS :")
        #expect(client.server(":irc.test 433 * parley :Nickname is already in use") == ["NICK parley_"])
        #expect(client.server(":irc.test 433 * parley_ :Nickname is already in use") == ["NICK parley__"])
        let next = client.server(":irc.test 432 * parley__ :Erroneous nickname")
        #expect(next.count == 1 && next[0].hasPrefix("NICK parley") && next[0].dropFirst(11).allSatisfy(\.isNumber))
        client.server(":irc.test 001 parley123 :Welcome")
        #expect(client.state.nick == "parley123")
    }

    @Test func theConfiguredNickIsTakenBackWhenItsHolderLeaves() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        client.connect()
        client.server(":irc.test CAP * LS :", ":irc.test 433 * parley :in use", ":irc.test 001 parley_ :Welcome")
        #expect(client.server(":parley!x@y QUIT :bye") == ["NICK parley"])
        #expect(client.server(":parley_!p@h NICK parley") == [])
        #expect(client.state.nick == "parley")
        // And, failing that, periodically.
        var other = ClientDriver(IRCSessionConfiguration(nick: "parley", regainInterval: .seconds(60)))
        other.connect()
        other.server(":irc.test CAP * LS :", ":irc.test 433 * parley :in use", ":irc.test 001 parley_ :Welcome")
        #expect(other.advance(.seconds(59)) == [])
        #expect(other.advance(.seconds(1)) == ["NICK parley"])
        #expect(other.server(":irc.test 433 parley_ parley :in use") == [])
    }

    // Issue 17: a reconnected bot comes back as parley_ while its old connection lingers, and
    // takes parley back the moment that connection quits, often just after people saw it join
    // as parley_. What they write to parley_ meanwhile still reaches it, until someone else
    // goes by that nick.
    @Test func messagesToTheNickJustLeftStillAddressUsUntilSomeoneElseTakesIt() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: [.init("#c")]))
        client.connect()
        client.server(":irc.test CAP * LS :", ":irc.test 433 * parley :in use", ":irc.test 001 parley_ :Welcome",
                      ":parley_!p@h JOIN #c", ":parley!x@y QUIT :Connection reset by peer", ":parley_!p@h NICK parley")
        #expect(client.actions.contains(.nickChanged(from: "parley_", to: "parley")))
        #expect(client.state.nicksAddressingUs(in: "#c") == ["parley", "parley_"])
        #expect(client.state.nicksAddressingUs(in: "parley") == ["parley", "parley_"])
        client.server(":dana!d@h JOIN #c", ":dana!d@h NICK PARLEY_")
        #expect(client.state.nicksAddressingUs(in: "#c") == ["parley"])
    }

    @Test func pingsAreAnsweredAndASilentServerIsDropped() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", pingInterval: .seconds(90), pingTimeout: .seconds(60)))
        client.register()
        #expect(client.server("PING :irc.test") == ["PONG irc.test"])
        #expect(client.advance(.seconds(89)) == [])
        #expect(client.advance(.seconds(1)) == ["PING parley"])
        #expect(client.advance(.seconds(59)) == [])
        #expect(client.disconnect == nil)
        client.advance(.seconds(1))
        #expect(client.disconnect?.reason == .pingTimeout(seconds: 150))
    }

    @Test func anAnswerResetsThePingTimer() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", pingInterval: .seconds(90), pingTimeout: .seconds(60)))
        client.register()
        client.advance(.seconds(90))
        client.server(":irc.test PONG irc.test :parley")
        #expect(client.advance(.seconds(89)) == [])
        #expect(client.disconnect == nil)
    }

    @Test func serverErrorsEndTheConnectionAndBansAreRecognised() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        client.register()
        client.server("ERROR :Closing Link: parley[127.0.0.1] (K-Lined: spam)")
        #expect(client.disconnect?.isBan == true)
        var other = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        other.register()
        other.server("ERROR :Closing Link: parley[127.0.0.1] (Ping timeout: 120 seconds)")
        #expect(other.disconnect?.isBan == false)
    }

    @Test func channelMessagesCarryTheSendersAccountFromTheTag() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        client.server(
            "@account=alice;msgid=abc;time=2026-11-29T12:00:00.000Z :alice!a@host PRIVMSG #help :parley: hello",
            ":mallory!m@host PRIVMSG #help :parley: I am alice",
            "@bot :otherbot!b@host PRIVMSG #help :beep")
        let messages = client.messages
        #expect(messages.count == 3)
        #expect(messages[0].account == "alice" && messages[0].id == "abc" && messages[0].isChannel)
        #expect(messages[0].time == Date(timeIntervalSince1970: 1_795_953_600))
        #expect(messages[1].account == nil)
        #expect(messages[2].fromBot)
    }

    static let plainWithoutSASL = IRCSessionConfiguration(nick: "parley", channels: [.init("#help")])

    @Test func accountsComeFromExtendedJoinAndWHOXWithoutTheTag() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register(offering: "extended-join")
        #expect(client.server(":parley!p@bot.host JOIN #help * :Parley") == ["WHO #help %tna,152"])
        client.server(
            ":irc.test 354 parley 152 bob bobacct", ":irc.test 354 parley 999 eve wrongtoken",
            ":carol!c@h JOIN #help carolacct :Carol",
            ":bob!b@h PRIVMSG #help :hi", ":carol!c@h PRIVMSG #help :hi", ":eve!e@h PRIVMSG #help :hi")
        #expect(client.messages.map(\.account) == ["bobacct", "carolacct", nil])
        #expect(client.state.hostmask == IRCSource(nick: "parley", user: "p", host: "bot.host"))
        client.server(":carol!c@h ACCOUNT *", ":carol!c@h PRIVMSG #help :hi again")
        #expect(client.messages.last?.account == nil)
    }

    @Test func operatorsAreTrackedFromNamesAndModes() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        client.server(
            ":parley!p@h JOIN #help", ":irc.test 353 parley = #help :@alice +bob carol",
            ":alice!a@h PRIVMSG #help :x", ":bob!b@h PRIVMSG #help :x",
            ":alice!a@h MODE #help +o-o bob alice", ":alice!a@h PRIVMSG #help :x", ":bob!b@h PRIVMSG #help :x")
        #expect(client.messages.map(\.fromOperator) == [true, false, false, true])
    }

    @Test func kicksRejoinAfterADelayAndInvitesFollowTheConfig() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: [.init("#help", key: Secret("k"))], rejoinDelay: .seconds(10)))
        client.register()
        client.server(":parley!p@h JOIN #help")
        client.server(":op!o@h KICK #help parley :out")
        #expect(client.actions.contains(.left(channel: "#help")))
        #expect(client.advance(.seconds(9)) == [])
        #expect(client.advance(.seconds(1)) == ["JOIN #help k"])
        #expect(client.server(":op!o@h INVITE parley #elsewhere") == [])
        var inviting = ClientDriver(IRCSessionConfiguration(nick: "parley", joinOnInvite: true))
        inviting.register()
        #expect(inviting.server(":op!o@h INVITE parley :#elsewhere") == ["JOIN #elsewhere"])
    }

    @Test func ctcpVersionAndPingAreAnsweredByNoticeAndActionsBecomeMessages() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}VERSION\u{01}") == ["NOTICE bob :\u{01}VERSION Parley\u{01}"])
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}PING 12345\u{01}") == ["NOTICE bob :\u{01}PING 12345\u{01}"])
        // A CTCP reply (a NOTICE) is never answered.
        #expect(client.server(":bob!b@h NOTICE parley :\u{01}VERSION\u{01}") == [])
        client.server(":bob!b@h PRIVMSG #help :\u{01}ACTION waves at parley\u{01}")
        #expect(client.messages.last?.kind == .action && client.messages.last?.text == "waves at parley")
    }

    // Issue 19, item 1: an item made only of "=" (and other empty names) from a server never traps.
    @Test(arguments: ["=", "==", "=x", "= sasl", "message-tags =", ""])
    func capabilityItemsWithoutANameAreIgnored(list: String) {
        var before = ClientDriver(Self.plainWithoutSASL)
        before.connect()
        before.server(":srv CAP * NEW :\(list)", ":srv CAP * LS :\(list)", ":srv CAP * ACK :\(list)", ":srv CAP * DEL :\(list)")
        var after = ClientDriver(Self.plainWithoutSASL)
        after.register()
        after.server(":srv CAP * NEW :\(list)", ":srv CAP * DEL :\(list)", ":srv CAP * LS :\(list)")
        #expect(after.state.offeredCapabilities[""] == nil)
        after.server(":srv 005 parley = =x :x=:y TARGMAX=,:,=: LINELEN= :are supported")
        #expect(after.state.support.lineLength == 512)
        #expect(STSPolicy.Advertisement("=,==,port=,=1") == STSPolicy.Advertisement(""))
    }

    // Issue 20: a thousand channels are joined in a few dozen lines, keyed ones first with their
    // keys in order, within the server's TARGMAX for JOIN.
    @Test func manyChannelsAreJoinedManyToALine() {
        var channels = (0..<1000).map { IRCSessionConfiguration.Channel("#channel-\($0)") }
        channels.insert(.init("#locked", key: Secret("k1")), at: 500)
        channels.append(.init("#vault", key: Secret("k2")))
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: channels))
        client.register()
        let joins = client.sent.filter { $0.hasPrefix("JOIN ") }
        #expect(joins.count <= 40 && joins.allSatisfy { $0.utf8.count <= 512 }, "\(joins.count) lines")
        #expect(joins.first?.hasPrefix("JOIN #locked,#vault,#channel-0,") == true && joins.first?.hasSuffix(" k1,k2") == true)
        let joined = joins.flatMap { $0.split(separator: " ")[1].split(separator: ",").map(String.init) }
        #expect(Set(joined) == Set(channels.map(\.name)) && joined.count == channels.count)

        var limited = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: Array(channels.prefix(10))))
        limited.register(isupport: "CASEMAPPING=rfc1459 CHANTYPES=# TARGMAX=JOIN:4,PRIVMSG:1")
        #expect(limited.sent.filter { $0.hasPrefix("JOIN ") }.map { $0.split(separator: ",").count } == [4, 4, 2])
    }

    // Issue 17: CLIENTINFO lists what is answered; SOURCE says where the source is, or nothing.
    @Test func ctcpClientInfoAndSourceAreAnswered() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}CLIENTINFO\u{01}")
            == ["NOTICE bob :\u{01}CLIENTINFO ACTION CLIENTINFO PING SOURCE VERSION\u{01}"])
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}SOURCE\u{01}") == ["NOTICE bob :\u{01}SOURCE Parley, a chat bot daemon in Swift\u{01}"])
        var configuration = Self.plainWithoutSASL
        configuration.sourceReply = nil
        configuration.versionReply = nil
        var quiet = ClientDriver(configuration)
        quiet.register()
        #expect(quiet.server(":bob!b@h PRIVMSG parley :\u{01}SOURCE\u{01}") == [])
        #expect(quiet.server(":bob!b@h PRIVMSG parley :\u{01}CLIENTINFO\u{01}") == ["NOTICE bob :\u{01}CLIENTINFO ACTION CLIENTINFO PING\u{01}"])
    }

    @Test func ctcpAnswersAreMarkedForTheirOwnQueue() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        client.server(":bob!b@h PRIVMSG parley :\u{01}VERSION\u{01}")
        #expect(client.actions.last == .ctcpReply(IRCMessage("NOTICE", ["bob", "\u{01}VERSION Parley\u{01}"]), to: "bob"))
    }

    @Test func ctcpFramingIsReadByScalar() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register()
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}PING \u{0301}x\u{01}") == ["NOTICE bob :\u{01}PING \u{0301}x\u{01}"])
        #expect(client.server(":bob!b@h PRIVMSG parley :\u{01}") == [])
        client.server(":bob!b@h PRIVMSG #help :\u{01}ACTION \u{200D}waves\u{01}")
        #expect(client.messages.last?.kind == .action && client.messages.last?.text == "\u{200D}waves")
    }

    // Issue 19, item 4: configured SASL that cannot happen follows on_failure in every path.
    @Test(arguments: [
        [":irc.test CAP * LS :"],
        [":irc.test CAP * LS :sasl=EXTERNAL"],
        [":irc.test CAP * LS :sasl=EXTERNAL message-tags", ":irc.test CAP * ACK :message-tags"],
        [":irc.test CAP * LS :sasl", ":irc.test CAP * NAK :sasl"],
        [":irc.test 001 parley :Welcome"],
        [":irc.test CAP * LS :sasl", ":irc.test CAP * ACK :sasl", ":irc.test 001 parley :Welcome"],
    ])
    func saslThatCannotHappenAbortsInEveryPath(lines: [String]) {
        var client = ClientDriver(Self.plain)
        client.connect()
        for line in lines { client.server(line) }
        client.server(":irc.test 376 parley :End of MOTD")
        guard case .saslFailed? = client.disconnect?.reason else {
            Issue.record("no SASL abort after \(lines); sent \(client.sent)")
            return
        }
        #expect(!client.sent.contains("CAP END"))
        #expect(!client.sent.contains { $0.hasPrefix("JOIN") })
        #expect(!client.actions.contains(.registered(nick: "parley")))
    }

    @Test(arguments: [[":irc.test CAP * LS :"], [":irc.test 001 parley :Welcome"]])
    func saslThatCannotHappenContinuesWhenConfigured(lines: [String]) {
        var configuration = Self.plain
        configuration.onSASLFailure = .continue
        var client = ClientDriver(configuration)
        client.connect()
        for line in lines { client.server(line) }
        client.server(":irc.test 001 parley :Welcome", ":irc.test 376 parley :End of MOTD")
        #expect(client.disconnect == nil)
        #expect(client.sent.contains { $0.hasPrefix("JOIN ") && $0.contains("#help") })
    }

    // Issue 11: a person's identity stays the same when they identify to services or change nick;
    // their account is still what permissions go by.
    @Test func identityIsStableAcrossIdentifyingAndNickChanges() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register(offering: "account-notify extended-join")
        client.server(":parley!p@h JOIN #help", ":alice!a@h JOIN #help * :Alice")
        client.server(":alice!a@h PRIVMSG #help :hi, not logged in")
        client.server(":alice!a@h ACCOUNT alice", ":alice!a@h PRIVMSG #help :now logged in")
        client.server(":alice!a@h NICK ally", ":ally!a@h PRIVMSG #help :new nick")
        let messages = client.messages
        #expect(messages.map(\.identity) == ["alice", "alice", "alice"])
        #expect(messages.map(\.account) == [nil, "alice", "alice"])
        client.server(":bob!b@h JOIN #help bobacct :Bob", ":bob!b@h PRIVMSG #help :logged in from the start")
        #expect(client.messages.last?.identity == "account:bobacct")
    }

    // Issue 11: the members a reply could highlight, from NAMES, JOIN, PART, KICK, QUIT and NICK.
    @Test func membersAreTrackedFromNamesJoinPartKickQuitAndNick() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register(offering: "multi-prefix userhost-in-names")
        client.server(":parley!p@h JOIN #help", ":irc.test 353 parley = #help :@+op!o@h voice parley")
        #expect(client.state.members(of: "#HELP") == ["op", "parley", "voice"])
        client.server(":dana!d@h JOIN #help", ":voice!v@h NICK :loud", ":op!o@h PART #help", ":x!x@h QUIT :bye")
        #expect(client.state.members(of: "#help") == ["dana", "loud", "parley"])
        client.server(":loud!v@h KICK #help dana :out", ":loud!v@h QUIT :gone")
        #expect(client.state.members(of: "#help") == ["parley"])
        client.server(":parley!p@h PART #help")
        #expect(client.state.members(of: "#help").isEmpty)
        client.server(":eve!e@h JOIN #elsewhere")
        #expect(client.state.members(of: "#elsewhere").isEmpty, "a channel the bot is not in is not tracked")
    }

    // Issue 13: others joining and leaving are reported, with what the client knows of them.
    @Test func othersJoiningAndLeavingAreReportedWithTheirAccount() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register(offering: "extended-join")
        client.server(":parley!p@h JOIN #Help * :Parley", ":irc.test 353 parley = #Help :parley op")
        client.actions = []
        client.server(
            ":dana!d@h JOIN #help danaacct :Dana", ":guest!g@h JOIN #help * :Guest", ":guest!g@h PART #help",
            ":op!o@h KICK #help dana :out", ":eve!e@h JOIN #elsewhere * :Eve", ":op!o@h QUIT :bye")
        let changes = client.actions.compactMap { action -> String? in
            guard case .membership(let channel, let person, let joined) = action else { return nil }
            return "\(joined ? "+" : "-")\(person.nick)@\(channel) \(person.account ?? "-") \(person.identity)"
        }
        #expect(changes == [
            "+dana@#Help danaacct account:danaacct", "+guest@#Help - guest", "-guest@#Help - guest",
            "-dana@#Help danaacct account:danaacct", "-op@#Help - op",
        ])
    }

    @Test func ourOwnEchoedLinesAndServiceNoticesAreNotChat() {
        var client = ClientDriver(Self.plainWithoutSASL)
        client.register(offering: "echo-message")
        client.server(":parley!p@h PRIVMSG #help :my own words", ":irc.test NOTICE parley :*** server notice")
        #expect(client.messages.isEmpty)
    }
}

@Suite struct STSTests {
    @Test func aPlaintextConnectionToldToUpgradeDisconnectsAtOnce() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        client.state = IRCClientState(configuration: IRCSessionConfiguration(nick: "parley"), isSecure: false)
        client.connect()
        let sent = client.server(":irc.test CAP * LS :multi-prefix sts=port=6697,duration=300 server-time")
        #expect(sent.isEmpty, "nothing more is said in plaintext")
        #expect(client.disconnect?.reason == .stsUpgrade(port: 6697))
    }

    @Test func overTLSThePolicyIsKeptAndRegistrationGoesOn() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        client.connect()
        #expect(client.server(":irc.test CAP * LS :sts=duration=86400,port=6697 server-time") == ["CAP REQ server-time"])
        #expect(client.actions.contains(.stsPolicy(seconds: 86400)))
        #expect(client.disconnect == nil)
    }

    @Test func advertisementsWithoutTheNeededKeyAreIgnored() {
        var insecure = ClientDriver(IRCSessionConfiguration(nick: "parley"))
        insecure.state = IRCClientState(configuration: IRCSessionConfiguration(nick: "parley"), isSecure: false)
        insecure.connect()
        insecure.server(":irc.test CAP * LS :sts=duration=300")
        #expect(insecure.disconnect == nil)
        #expect(STSPolicy.Advertisement("port=99999,duration=-5") == STSPolicy.Advertisement(""))
    }
}

extension IRCClientStateTests {
    // Issue 16: a reload that changes only the channels joins and parts on the connection as is.
    @Test func aReloadedChannelListJoinsTheNewAndPartsTheRemovedOnes() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: [.init("#help"), .init("#staff")]))
        var early = client.state
        #expect(early.replaceChannels([.init("#help")]).isEmpty, "before registration it is only remembered")
        client.register()
        client.server(":parley!p@h JOIN #help", ":parley!p@h JOIN #staff", ":parley!p@h JOIN #invited")
        var actions = client.state.replaceChannels([.init("#HELP"), .init("#new", key: Secret("k"))])
        let lines = actions.compactMap { if case .send(let message, _) = $0 { try? message.serialized() } else { nil } }
        #expect(lines == ["JOIN #new k", "PART #staff :no longer configured here"], "#help kept (case-insensitively), #invited left alone")
        actions = client.state.replaceChannels([.init("#HELP"), .init("#new", key: Secret("k"))])
        #expect(actions.isEmpty, "the same list again changes nothing")
    }
}

extension IRCClientStateTests {
    // Issue 16: the network counts as up (`/ready`) once its configured channels are joined, or
    // refused, not at registration.
    @Test func readyComesOnceEveryConfiguredChannelIsJoinedOrRefused() {
        var client = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: [.init("#help"), .init("#Banned")]))
        client.register()
        #expect(!client.actions.contains(.ready), "registered, but not in its channels yet")
        client.server(":parley!p@h JOIN #help")
        #expect(!client.actions.contains(.ready))
        client.server(":irc.test 474 parley #banned :Cannot join channel (+b)")
        #expect(client.actions.filter { $0 == .ready }.count == 1)
        client.server(":parley!p@h JOIN #later")
        #expect(client.actions.filter { $0 == .ready }.count == 1, "once")

        var alone = ClientDriver(IRCSessionConfiguration(nick: "parley", channels: []))
        alone.register()
        #expect(alone.actions.contains(.ready), "no channels: ready at the end of registration")
    }
}
