import Foundation

/// After registration: channels, the people in them and their accounts, chat lines, CTCP.
extension IRCClientState {
    /// The WHOX token Parley's WHO requests carry, so that replies to others' requests are ignored.
    static let whoxToken = "152"

    mutating func session(_ message: IRCMessage, now: Duration) -> [IRCClientAction] {
        let fold = support.caseMapping.fold
        let sourceNick = message.source?.nick ?? ""
        let fromUs = support.caseMapping.equal(sourceNick, nick)
        switch message.command {
        case "JOIN":
            guard let channel = message.parameters.first else { return [] }
            // extended-join: JOIN #channel account :realname ("*" for no account)
            if message.parameters.count >= 2 { remember(account: message.parameters[1], of: sourceNick) }
            if let tagged = message.tags["account"] { remember(account: tagged, of: sourceNick) }
            guard fromUs else {
                guard let known = channels[fold(channel)] else { return [] }
                members[fold(channel), default: [:]][fold(sourceNick)] = sourceNick
                return [.membership(channel: known, person: person(sourceNick), joined: true)]
            }
            channels[fold(channel)] = channel
            members[fold(channel)] = [fold(sourceNick): sourceNick]
            hostmask = message.source
            var actions: [IRCClientAction] = [.joined(channel: channel)]
            if support.whox {
                actions.append(.send(IRCMessage("WHO", [channel, "%tna,\(Self.whoxToken)"]), urgent: false))
            }
            return actions + settleJoin(fold(channel))
        case "PART":
            guard let channel = message.parameters.first else { return [] }
            guard fromUs else {
                guard let known = channels[fold(channel)] else { return [] }
                members[fold(channel)]?[fold(sourceNick)] = nil
                return [.membership(channel: known, person: person(sourceNick), joined: false)]
            }
            return leave(channel)
        case "KICK":
            guard message.parameters.count >= 2 else { return [] }
            guard support.caseMapping.equal(message.parameters[1], nick) else {
                guard let known = channels[fold(message.parameters[0])] else { return [] }
                let kicked = members[fold(message.parameters[0])]?.removeValue(forKey: fold(message.parameters[1])) ?? message.parameters[1]
                return [.membership(channel: known, person: person(kicked), joined: false)]
            }
            let channel = message.parameters[0]
            if configuration.rejoinAfterKick { rejoins.append((channel, now + configuration.rejoinDelay)) }
            return leave(channel)
        case "INVITE":
            guard configuration.joinOnInvite, message.parameters.count >= 2,
                  support.caseMapping.equal(message.parameters[0], nick) else { return [] }
            return join(message.parameters[1])
        case "NICK":
            guard let new = message.parameters.first else { return [] }
            if let account = accounts.removeValue(forKey: fold(sourceNick)) { accounts[fold(new)] = account }
            if let identity = identities.removeValue(forKey: fold(sourceNick)) { identities[fold(new)] = identity }
            for channel in members.keys where members[channel]!.removeValue(forKey: fold(sourceNick)) != nil {
                members[channel]![fold(new)] = new
            }
            for channel in operators.keys where operators[channel]!.remove(fold(sourceNick)) != nil {
                operators[channel]!.insert(fold(new))
            }
            if fromUs {
                formerNick = nick
                nick = new
                return [.nickChanged(from: sourceNick, to: new)]
            } else if support.caseMapping.equal(sourceNick, configuration.nick) {
                // Whoever held our configured nick let it go.
                return [.send(IRCMessage("NICK", [configuration.nick]), urgent: false)]
            }
            return []
        case "QUIT":
            let who = person(sourceNick)
            var actions: [IRCClientAction] = []
            for channel in members.keys.sorted() where members[channel]!.removeValue(forKey: fold(sourceNick)) != nil {
                if let known = channels[channel] { actions.append(.membership(channel: known, person: who, joined: false)) }
            }
            accounts[fold(sourceNick)] = nil
            identities[fold(sourceNick)] = nil
            if support.caseMapping.equal(sourceNick, configuration.nick), !support.caseMapping.equal(nick, configuration.nick) {
                actions.append(.send(IRCMessage("NICK", [configuration.nick]), urgent: false))
            }
            return actions
        case "ACCOUNT":
            if let account = message.parameters.first { remember(account: account, of: sourceNick) }
            return []
        case "354":
            // WHOX reply: <me> <token> <nick> <account>
            guard message.parameters.count >= 4, message.parameters[1] == Self.whoxToken else { return [] }
            remember(account: message.parameters[3], of: message.parameters[2])
            return []
        case "353":
            // NAMES: <me> <type> <channel> :[prefixes]nick…
            guard message.parameters.count >= 4 else { return [] }
            let channel = fold(message.parameters[2])
            let operatorSymbols = Set(support.prefixes.prefix { $0.mode != "v" && $0.mode != "h" }.map(\.symbol))
            for entry in IRCText.words(message.parameters[3]) {
                let symbols = entry.prefix { support.prefixSymbols.contains($0) }
                let name = String(entry.dropFirst(symbols.count).prefix { $0 != "!" })
                if symbols.contains(where: operatorSymbols.contains) { operators[channel, default: []].insert(fold(name)) }
                if !name.isEmpty, channels[channel] != nil { members[channel, default: [:]][fold(name)] = name }
            }
            return []
        case "MODE":
            trackOperatorModes(message)
            return []
        case "PRIVMSG", "NOTICE":
            return chat(message)
        default:
            return []
        }
    }

    private mutating func leave(_ channel: String) -> [IRCClientAction] {
        channels[support.caseMapping.fold(channel)] = nil
        operators[support.caseMapping.fold(channel)] = nil
        members[support.caseMapping.fold(channel)] = nil
        return [.left(channel: channel)]
    }

    /// The nicks that address us in `target` (a channel, or our nick for a private message):
    /// ours, and the one we just left while nobody there goes by it.
    func nicksAddressingUs(in target: String) -> [String] {
        guard let former = formerNick, members[support.caseMapping.fold(target)]?[support.caseMapping.fold(former)] == nil
        else { return [nick] }
        return [nick, former]
    }

    /// The nicks in `channel`, as spelled.
    func members(of channel: String) -> [String] {
        members[support.caseMapping.fold(channel)].map { Array($0.values).sorted() } ?? []
    }

    /// Who `nick` is, as far as the client knows: account, and the identity messages from them
    /// carry (the same one, if they have spoken).
    func person(_ nick: String) -> IRCPerson {
        let folded = support.caseMapping.fold(nick)
        let account = accounts[folded]
        return IRCPerson(nick: nick, account: account, identity: identities[folded] ?? account.map { "account:" + $0 } ?? folded)
    }

    private mutating func remember(account: String, of nick: String) {
        accounts[support.caseMapping.fold(nick)] = (account == "*" || account == "0" || account.isEmpty) ? nil : account
    }

    /// `MODE #channel +o-v nick nick`: track who holds operator rights.
    private mutating func trackOperatorModes(_ message: IRCMessage) {
        guard message.parameters.count >= 3, support.isChannel(message.parameters[0]) else { return }
        let channel = support.caseMapping.fold(message.parameters[0])
        let operatorModes = Set(support.prefixes.prefix { $0.mode != "v" && $0.mode != "h" }.map(\.mode))
        let prefixModes = Set(support.prefixes.map(\.mode))
        var adding = true
        var arguments = message.parameters.dropFirst(2).makeIterator()
        for mode in message.parameters[1] {
            if mode == "+" { adding = true; continue }
            if mode == "-" { adding = false; continue }
            // Only prefix modes are tracked; other modes with arguments cannot be told apart
            // without CHANMODES, so stop at the first one.
            guard prefixModes.contains(mode), let target = arguments.next() else { return }
            guard operatorModes.contains(mode) else { continue }
            if adding {
                operators[channel, default: []].insert(support.caseMapping.fold(target))
            } else {
                operators[channel]?.remove(support.caseMapping.fold(target))
            }
        }
    }

    private mutating func chat(_ message: IRCMessage) -> [IRCClientAction] {
        guard let source = message.source, message.parameters.count >= 2 else { return [] }
        let target = message.parameters[0]
        var text = message.parameters[1]
        let isNotice = message.command == "NOTICE"
        // Our own lines come back with echo-message; the bot never answers itself.
        if support.caseMapping.equal(source.nick, nick) { return [] }
        // Services and the server speak without a user@host; their notices are not chat.
        if source.user == nil && source.host == nil && isNotice { return [] }
        var kind: IRCChatMessage.Kind = isNotice ? .notice : .privmsg
        if text.unicodeScalars.first == "\u{01}" {
            // CTCP framing by scalar: \x01COMMAND argument\x01, the closing \x01 optional.
            let body = IRCText.fields(String(Substring(text.unicodeScalars.dropFirst())), separator: "\u{01}", maxSplits: 1).first ?? ""
            let (name, rest) = IRCText.split(body, at: " ")
            let command = name.uppercased()
            let argument = String(Substring((rest ?? "").unicodeScalars.drop { $0 == " " }))
            switch command {
            case "ACTION":
                kind = .action
                text = argument
            case "VERSION" where !isNotice:
                guard let reply = configuration.versionReply else { return [] }
                return [.ctcpReply(IRCMessage("NOTICE", [source.nick, "\u{01}VERSION \(reply)\u{01}"]), to: source.nick)]
            case "SOURCE" where !isNotice:
                guard let reply = configuration.sourceReply else { return [] }
                return [.ctcpReply(IRCMessage("NOTICE", [source.nick, "\u{01}SOURCE \(reply)\u{01}"]), to: source.nick)]
            case "CLIENTINFO" where !isNotice:
                let list = configuration.ctcpCommands.joined(separator: " ")
                return [.ctcpReply(IRCMessage("NOTICE", [source.nick, "\u{01}CLIENTINFO \(list)\u{01}"]), to: source.nick)]
            case "PING" where !isNotice:
                // The argument goes back as it came, within the line limit and without controls.
                let echo = String(argument.unicodeScalars.filter { $0.value >= 0x20 && $0 != "\u{7F}" }.prefix(64))
                return [.ctcpReply(IRCMessage("NOTICE", [source.nick, "\u{01}PING \(echo)\u{01}"]), to: source.nick)]
            default:
                return []
            }
        }
        let isChannel = support.isChannel(target)
        let folded = support.caseMapping.fold(source.nick)
        let account = enabledCapabilities.contains("account-tag") ? message.tags["account"] : accounts[folded]
        let identity = identities[folded] ?? account.map { "account:" + $0 } ?? folded
        if identities[folded] == nil {
            if identities.count >= 10_000 { identities.removeAll() }
            identities[folded] = identity
        }
        return [.message(IRCChatMessage(
            source: source, target: target, text: text, kind: kind, account: account, identity: identity,
            fromBot: message.tags["bot"] != nil,
            fromOperator: isChannel && operators[support.caseMapping.fold(target)]?.contains(folded) == true,
            id: message.tags["msgid"], time: message.tags["time"].flatMap(Self.serverTime), isChannel: isChannel))]
    }

    /// IRCv3 server-time: `2026-11-29T12:00:00.000Z`.
    static func serverTime(_ text: String) -> Date? {
        var style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        style.timeZone = .gmt
        if let date = try? style.parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}
