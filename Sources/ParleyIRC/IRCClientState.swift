import Foundation
import ParleyCore

/// The IRC client protocol as a value type: events in (connected, a line received, time
/// passing), actions out (lines to send, messages for the bot, a disconnect). It performs no
/// I/O and reads no clock, so tests drive it line by line with exact wire strings.
///
/// Registration: `CAP LS 302`, `PASS`, `NICK`, `USER`; the capabilities Parley uses are
/// requested from what the server lists; SASL (PLAIN, EXTERNAL, SCRAM-SHA-256) runs before
/// `CAP END`. After 001 it tracks ISUPPORT, its channels and the accounts of the people in
/// them, answers PING and CTCP VERSION/PING, pings a silent server, rejoins after a kick,
/// and takes its configured nick back when it is free.
public struct IRCClientState: Sendable {
    public private(set) var configuration: IRCSessionConfiguration

    enum Phase: Equatable {
        case idle
        /// CAP LS sent; the listing may span several lines.
        case listingCapabilities
        /// CAP REQ sent; waiting for ACK or NAK.
        case requestingCapabilities
        /// AUTHENTICATE in progress since the given time.
        case authenticating(since: Duration)
        /// CAP END sent (or no CAP at all); waiting for 001.
        case awaitingWelcome
        case registered
    }

    var phase: Phase = .idle
    /// The nick the server knows us by (or the one being tried during registration).
    public internal(set) var nick: String
    /// The nick we went by before our last change. Someone who wrote to it a moment earlier (a
    /// reconnected bot regains its own nick right after joining) still means us, until another
    /// is seen with it.
    public internal(set) var formerNick: String?
    private var nickAttempt = 0
    public internal(set) var support = IRCSupport()
    /// Capabilities the server offers, with their values (`sasl=PLAIN,EXTERNAL`).
    public internal(set) var offeredCapabilities: [String: String] = [:]
    public internal(set) var enabledCapabilities: Set<String> = []
    /// The account SASL logged in as (900).
    public internal(set) var account: String?
    var saslExchange: (any SASLExchange)?
    /// Whether SASL completed on this connection (903 with the server proven, or 907).
    var saslSucceeded = false
    var saslChallenge = ""
    /// Channels joined, by folded name, with the name as the server spells it.
    public internal(set) var channels: [String: String] = [:]
    /// Configured channels joined at registration and not yet answered (folded); nil once all
    /// are, or before registration.
    var pendingJoins: Set<String>?
    /// Services accounts of nicks the client has seen, by folded nick.
    var accounts: [String: String] = [:]
    /// Who each nick is to the bot (`IRCChatMessage.identity`), by folded nick.
    var identities: [String: String] = [:]
    /// Channel operators (prefix at least `@`), by folded channel, then folded nick.
    var operators: [String: Set<String>] = [:]
    /// The people in each channel: by folded channel, folded nick → the nick as spelled.
    var members: [String: [String: String]] = [:]
    /// Our own `nick!user@host` as the server shows it to others (from our JOIN).
    public internal(set) var hostmask: IRCSource?
    var lastHeard: Duration = .zero
    var pingSent: Duration?
    var rejoins: [(channel: String, at: Duration)] = []
    var lastRegain: Duration = .zero
    var stsHandled = false
    /// Multiline messages others send, gathered until their batch ends.
    var multilineBatches = IRCMultilineAssembler()

    /// The limits for multiline replies, once the server enabled `draft/multiline` (with `batch`).
    public var multiline: IRCMultiline? {
        guard enabledCapabilities.contains(IRCMultiline.batchType), enabledCapabilities.contains("batch"),
              let value = offeredCapabilities[IRCMultiline.batchType] else { return nil }
        return IRCMultiline(capabilityValue: value)
    }

    /// What Parley asks for when the server offers it.
    static let wantedCapabilities: Set<String> = [
        "message-tags", "server-time", "account-tag", "extended-join", "multi-prefix", "cap-notify",
        "batch", IRCMultiline.batchType, "echo-message", "account-notify", "away-notify", "chghost", "userhost-in-names", "invite-notify",
    ]

    /// Whether the connection is TLS (STS policies are only believed over TLS).
    public let isSecure: Bool

    public init(configuration: IRCSessionConfiguration, isSecure: Bool = true) {
        self.configuration = configuration
        self.isSecure = isSecure
        nick = configuration.nick
    }

    public var isRegistered: Bool { phase == .registered }

    // MARK: - Events

    /// The transport is up: start registration.
    public mutating func connected(now: Duration) -> [IRCClientAction] {
        phase = .listingCapabilities
        lastHeard = now
        var lines = [IRCMessage("CAP", ["LS", "302"])]
        if let password = configuration.serverPassword { lines.append(IRCMessage("PASS", [password.value])) }
        lines.append(IRCMessage("NICK", [nick]))
        lines.append(IRCMessage("USER", [configuration.user, "0", "*", configuration.realName]))
        return lines.map { .send($0, urgent: true) }
    }

    /// A line from the server.
    public mutating func received(_ message: IRCMessage, now: Duration) -> [IRCClientAction] {
        lastHeard = now
        pingSent = nil
        if enabledCapabilities.contains(IRCMultiline.batchType) {
            switch multilineBatches.take(message) {
            case .gathered: return []
            case .complete(let whole): return session(whole, now: now)
            case .notMine: break
            }
        }
        switch message.command {
        case "PING":
            return [.send(IRCMessage("PONG", message.parameters.isEmpty ? [""] : message.parameters), urgent: true)]
        case "PONG":
            return []
        case "ERROR":
            return [.disconnect(IRCDisconnect(reason: .serverError(message.parameters.last ?? ""), retry: true))]
        case "CAP":
            return capability(message, now: now)
        case "AUTHENTICATE":
            return authenticate(message)
        case "900":
            if message.parameters.count >= 3 { account = message.parameters[2] }
            return []
        case "903":
            return finishSASL()
        case "902", "904", "905", "906", "908":
            return saslFailed(message)
        case "907":
            // Already logged in (a reconnect that kept the login): nothing left to prove.
            guard case .authenticating = phase else { return [] }
            saslExchange = nil
            saslSucceeded = true
            return endCapabilities()
        case "001":
            return welcome(message, now: now)
        case "005":
            support.apply(message)
            return []
        case "376", "422":
            // Only once registered: a connection being aborted (SASL) joins nothing.
            return phase == .registered ? joinConfiguredChannels() : []
        case "403", "405", "471", "473", "474", "475", "477", "489":
            // A configured channel that will not be joined does not keep the bot from being ready.
            guard message.parameters.count >= 2 else { return [] }
            return settleJoin(support.caseMapping.fold(message.parameters[1]))
        case "432", "433", "436", "437":
            return nickRefused(message)
        case "464":
            return [.disconnect(IRCDisconnect(reason: .passwordRefused, retry: true))]
        default:
            return session(message, now: now)
        }
    }

    /// Time passed: ping a silent server, give up on one that stays silent, time SASL out,
    /// rejoin after kicks, try for the configured nick.
    public mutating func tick(now: Duration) -> [IRCClientAction] {
        var actions: [IRCClientAction] = []
        if case .authenticating(let since) = phase, now - since >= configuration.saslTimeout {
            actions.append(.send(IRCMessage("AUTHENTICATE", ["*"]), urgent: true))
            actions += saslFailed(reason: "services did not answer within \(configuration.saslTimeout)")
            return actions
        }
        if let sent = pingSent {
            if now - sent >= configuration.pingTimeout {
                let silent = Int((now - lastHeard).components.seconds)
                return [.disconnect(IRCDisconnect(reason: .pingTimeout(seconds: silent), retry: true))]
            }
        } else if now - lastHeard >= configuration.pingInterval {
            pingSent = now
            actions.append(.send(IRCMessage("PING", ["parley"]), urgent: true))
        }
        guard phase == .registered else { return actions }
        let due = rejoins.filter { $0.at <= now }
        rejoins.removeAll { $0.at <= now }
        for rejoin in due { actions += join(rejoin.channel) }
        if !support.caseMapping.equal(nick, configuration.nick), now - lastRegain >= configuration.regainInterval {
            lastRegain = now
            actions.append(.send(IRCMessage("NICK", [configuration.nick]), urgent: false))
        }
        return actions
    }

    // MARK: - Capabilities

    private mutating func capability(_ message: IRCMessage, now: Duration) -> [IRCClientAction] {
        // CAP <target> <subcommand> [*] :<list>
        guard message.parameters.count >= 3 else { return [] }
        let subcommand = message.parameters[1].uppercased()
        let more = message.parameters.count >= 4 && message.parameters[2] == "*"
        let list = IRCText.words(message.parameters[message.parameters.count - 1])
        switch subcommand {
        case "LS":
            offer(list)
            let sts = stsAction() ?? []
            if phase == .idle { return sts }  // told to upgrade: nothing more on this connection
            guard !more, phase == .listingCapabilities else { return sts }
            return sts + requestCapabilities(now: now)
        case "ACK":
            for item in list {
                if item.unicodeScalars.first == "-" {
                    enabledCapabilities.remove(String(Substring(item.unicodeScalars.dropFirst())))
                } else {
                    enabledCapabilities.insert(item)
                }
            }
            guard phase == .requestingCapabilities, !more else { return [] }
            return startSASL(now: now)
        case "NAK":
            guard phase == .requestingCapabilities else { return [] }
            // The whole request is refused; go on with what is already enabled.
            return startSASL(now: now)
        case "NEW":
            offer(list)
            let sts = stsAction() ?? []
            if phase == .idle { return sts }
            let wanted = list.map { IRCText.keyAndValue($0).key }
                .filter { Self.wantedCapabilities.contains($0) && !enabledCapabilities.contains($0) }
            return sts + (wanted.isEmpty ? [] : [.send(IRCMessage("CAP", ["REQ", wanted.joined(separator: " ")]), urgent: false)])
        case "DEL":
            for item in list {
                offeredCapabilities[item] = nil
                enabledCapabilities.remove(item)
            }
            return []
        default:
            return []
        }
    }

    /// Records offered capabilities (`name` or `name=value`); an item with no name is ignored.
    private mutating func offer(_ items: [String]) {
        for item in items {
            let (name, value) = IRCText.keyAndValue(item)
            guard !name.isEmpty else { continue }
            offeredCapabilities[name] = value ?? ""
        }
    }

    /// IRCv3 STS: over plaintext, an advertised port means "reconnect with TLS there, now";
    /// over TLS, the duration is the policy to keep. A policy is acted on once per connection.
    private mutating func stsAction() -> [IRCClientAction]? {
        guard let value = offeredCapabilities["sts"], !stsHandled else { return nil }
        let advertisement = STSPolicy.Advertisement(value)
        if !isSecure {
            guard let port = advertisement.port else { return nil }
            stsHandled = true
            phase = .idle
            return [.disconnect(IRCDisconnect(reason: .stsUpgrade(port: port), retry: true))]
        }
        guard let seconds = advertisement.duration else { return nil }
        stsHandled = true
        return [.stsPolicy(seconds: seconds)]
    }

    private mutating func requestCapabilities(now: Duration) -> [IRCClientAction] {
        var wanted = Self.wantedCapabilities.filter { offeredCapabilities[$0] != nil }
        if let sasl = configuration.sasl, let offered = offeredCapabilities["sasl"] {
            let mechanisms = IRCText.fields(offered, separator: ",").map { $0.uppercased() }
            if offered.isEmpty || mechanisms.contains(sasl.mechanism) { wanted.insert("sasl") }
        }
        // Nothing to request: SASL (if configured) cannot happen, and startSASL says what then.
        guard !wanted.isEmpty else { return startSASL(now: now) }
        phase = .requestingCapabilities
        return [.send(IRCMessage("CAP", ["REQ", wanted.sorted().joined(separator: " ")]), urgent: true)]
    }

    mutating func endCapabilities() -> [IRCClientAction] {
        phase = .awaitingWelcome
        return [.send(IRCMessage("CAP", ["END"]), urgent: true)]
    }

    // MARK: - Registration

    private mutating func welcome(_ message: IRCMessage, now: Duration) -> [IRCClientAction] {
        if configuration.sasl != nil, !saslSucceeded, mustAbortWithoutSASL {
            // Registered without SASL ever completing: a server that answered no CAP at all, or
            // ended registration by itself. `on_failure: abort` holds here too.
            return saslFailed(reason: "the server registered the connection without SASL (no capability negotiation)")
        }
        if let given = message.parameters.first { nick = given }
        phase = .registered
        lastRegain = now
        var actions: [IRCClientAction] = [.registered(nick: nick)]
        if account == nil, let password = configuration.nickServPassword {
            let account = configuration.sasl.flatMap(\.account) ?? configuration.nick
            actions.append(.send(IRCMessage("PRIVMSG", ["NickServ", "IDENTIFY \(account) \(password.value)"]), urgent: false))
        }
        return actions
    }

    private mutating func nickRefused(_ message: IRCMessage) -> [IRCClientAction] {
        // After registration this answers our attempt to regain the configured nick: keep ours.
        guard phase != .registered else { return [] }
        let candidates = [configuration.nick] + configuration.alternateNicks
        nickAttempt += 1
        if nickAttempt < candidates.count {
            nick = candidates[nickAttempt]
        } else if nickAttempt < candidates.count + 5 {
            let base = String(configuration.nick.prefix(max(1, (support.nickLength ?? 9) - 3)))
            nick = base + String(Int.random(in: 100...999))
        } else {
            return [.disconnect(IRCDisconnect(reason: .noUsableNick, retry: true))]
        }
        return [.send(IRCMessage("NICK", [nick]), urgent: true)]
    }

    /// Takes a reloaded channel list: once registered, JOINs the channels added and PARTs the
    /// configured ones removed (channels joined on invite stay); before, only remembers it.
    public mutating func replaceChannels(_ channels: [IRCSessionConfiguration.Channel]) -> [IRCClientAction] {
        let old = configuration.channels
        configuration.channels = channels
        guard isRegistered else { return [] }
        let added = channels.filter { new in !old.contains { support.caseMapping.equal($0.name, new.name) } }
        let removed = old.filter { gone in !channels.contains { support.caseMapping.equal($0.name, gone.name) } }
        return joinLines(added.map(\.name))
            + removed.map { .send(IRCMessage("PART", [$0.name, "no longer configured here"]), urgent: false) }
    }

    mutating func joinConfiguredChannels() -> [IRCClientAction] {
        pendingJoins = Set(configuration.channels.map { support.caseMapping.fold($0.name) })
        return joinLines(configuration.channels.map(\.name)) + settleJoin(nil)
    }

    /// Marks `channel` (folded) joined or refused; `.ready` once no configured join is pending.
    mutating func settleJoin(_ channel: String?) -> [IRCClientAction] {
        guard var pending = pendingJoins else { return [] }
        if let channel { pending.remove(channel) }
        pendingJoins = pending.isEmpty ? nil : pending
        return pending.isEmpty ? [.ready] : []
    }

    /// JOINs for many channels, as many to a line as fit (the channels with keys first, their
    /// keys in the same order): a thousand channels take a few dozen lines of the flood bucket,
    /// not a thousand. At most the server's `TARGMAX` for JOIN, where it gives one.
    func joinLines(_ channels: [String]) -> [IRCClientAction] {
        let withKeys = channels.compactMap { name in key(of: name).map { (name, Optional($0)) } }
        let withoutKeys = channels.filter { key(of: $0) == nil }.map { ($0, String?.none) }
        let most = (support.targetLimits["JOIN"] ?? nil) ?? Int.max
        var lines: [IRCClientAction] = []
        var names: [String] = [], keys: [String] = [], bytes = 0
        func flush() {
            guard !names.isEmpty else { return }
            let parameters = [names.joined(separator: ",")] + (keys.isEmpty ? [] : [keys.joined(separator: ",")])
            lines.append(.send(IRCMessage("JOIN", parameters), urgent: false))
            names = []
            keys = []
            bytes = 0
        }
        for (name, key) in withKeys + withoutKeys {
            let cost = name.utf8.count + 1 + (key.map { $0.utf8.count + 1 } ?? 0)
            if bytes + cost > Self.joinListBytes || names.count >= most { flush() }
            names.append(name)
            if let key { keys.append(key) }
            bytes += cost
        }
        flush()
        return lines
    }

    /// Room for the channel and key lists of one JOIN, well inside 512 bytes.
    static let joinListBytes = 400

    private func key(of channel: String) -> String? {
        configuration.channels.first { support.caseMapping.equal($0.name, channel) }?.key?.value
    }

    /// JOIN with the channel's configured key, if any.
    mutating func join(_ channel: String) -> [IRCClientAction] {
        let key = configuration.channels.first { support.caseMapping.equal($0.name, channel) }?.key
        return [.send(IRCMessage("JOIN", key.map { [channel, $0.value] } ?? [channel]), urgent: false)]
    }
}

extension SASLCredentials {
    /// The account named in the credentials, if any.
    var account: String? {
        switch self {
        case .plain(let account, _), .scramSHA256(let account, _): account
        case .external: nil
        }
    }
}
