/// A language the bot's own sentences come in (`language:` in a channel rule).
public enum BotLanguage: String, Sendable, Hashable, CaseIterable {
    case english = "en"
    case simplifiedChinese = "zh-Hans"

    /// From a code as people write it: `en`, `en-GB`, `zh`, `zh-CN`, `zh-Hans`…; nil for a
    /// language Parley has no sentences in.
    public init?(code: String) {
        let lowered = String(code.lowercased().map { $0 == "_" ? "-" : $0 })
        if lowered == "en" || lowered.hasPrefix("en-") {
            self = .english
        } else if ["zh", "zh-hans", "zh-cn", "zh-sg", "zh-hans-cn"].contains(lowered) {
            self = .simplifiedChinese
        } else {
            return nil
        }
    }
}

/// What the bot says in its own words (not the model's): notices, refusals, error sentences.
/// Each is written out in every `BotLanguage`, so a channel hears them in its language.
public enum BotSentence: Sendable, Hashable {
    /// The conversation's queue is full.
    case busy
    /// A message was handed to humans.
    case escalated
    /// `command` (with its prefix) is for admins.
    case adminOnly(command: String)
    /// `command` (with its prefix) is for admins and, where allowed, channel operators.
    case configureOnly(command: String)
    /// `command` (with its prefix) failed.
    case commandFailed(command: String)
    /// A rate limit: the sender's own, or the channel's.
    case rateLimited(channelWide: Bool, seconds: Int)
    /// No backend produced an answer.
    case noAnswer
    /// The model service refused the bot (a bad key, no access): waiting will not help.
    case unavailable
    /// The network refused the reply.
    case undelivered
    /// The reply came from a fallback backend.
    case fallbackUsed(backend: String, fallback: String)
    /// A Matrix room is end-to-end encrypted and the bot cannot read it.
    case cannotReadEncryptedRoom
    /// An encrypted message's key has not reached the bot: it answers when the key comes.
    case messageKeyMissing
    /// `!help`: the commands the asker may use (with their prefix), and `!help` itself.
    case help(commands: String, help: String)
    /// `!help X` for a command that does not exist.
    case noSuchCommand(command: String, help: String)
    /// An unknown command word addressed to the bot.
    case unknownCommand(command: String, help: String)
    /// The channel's documents do not answer the question (nothing was generated).
    case dontKnow
    /// A ticket was opened for the asker: its number, their place in the queue, and when
    /// people answer if they do not now.
    case ticketOpened(id: Int, position: Int, opening: String?)
    /// The asker already has a ticket waiting.
    case ticketStillOpen(id: Int)
    /// Staff closed the ticket: the bot answers again.
    case ticketClosed(id: Int)
    /// `command` (with its prefix) is for staff.
    case staffOnly(command: String)
    /// `!forget me` from a sender the network does not vouch for.
    case forgetNeedsAccount(command: String)

    /// The name a config uses to give its own text for the sentence (`messages:`).
    public enum Key: String, Sendable, Hashable, CaseIterable {
        case busy, escalated
        case adminOnly = "admin_only"
        case configureOnly = "configure_only"
        case commandFailed = "command_failed"
        case rateLimited = "rate_limited"
        case channelRateLimited = "channel_rate_limited"
        case noAnswer = "no_answer"
        case unavailable
        case undelivered
        case fallbackUsed = "fallback_used"
        case cannotReadEncryptedRoom = "encrypted_room"
        case messageKeyMissing = "message_key_missing"
        case help
        case noSuchCommand = "no_such_command"
        case unknownCommand = "unknown_command"
        case dontKnow = "dont_know"
        case ticketOpened = "ticket_opened"
        case ticketOpenedOutOfHours = "ticket_opened_out_of_hours"
        case ticketStillOpen = "ticket_still_open"
        case ticketClosed = "ticket_closed"
        case staffOnly = "staff_only"
        case forgetNeedsAccount = "forget_needs_account"

        /// The `{placeholders}` its text may use.
        public var placeholders: [String] {
            switch self {
            case .adminOnly, .configureOnly, .commandFailed: ["command"]
            case .rateLimited, .channelRateLimited: ["seconds"]
            case .fallbackUsed: ["backend", "fallback"]
            case .busy, .escalated, .noAnswer, .unavailable, .undelivered, .cannotReadEncryptedRoom, .messageKeyMissing, .dontKnow: []
            case .help: ["commands", "help"]
            case .noSuchCommand, .unknownCommand: ["command", "help"]
            case .ticketOpened: ["ticket", "position"]
            case .ticketOpenedOutOfHours: ["ticket", "position", "opening"]
            case .ticketStillOpen, .ticketClosed: ["ticket"]
            case .staffOnly, .forgetNeedsAccount: ["command"]
            }
        }
    }

    public var key: Key {
        switch self {
        case .busy: .busy
        case .escalated: .escalated
        case .adminOnly: .adminOnly
        case .configureOnly: .configureOnly
        case .commandFailed: .commandFailed
        case .rateLimited(let channelWide, _): channelWide ? .channelRateLimited : .rateLimited
        case .noAnswer: .noAnswer
        case .unavailable: .unavailable
        case .undelivered: .undelivered
        case .fallbackUsed: .fallbackUsed
        case .cannotReadEncryptedRoom: .cannotReadEncryptedRoom
        case .messageKeyMissing: .messageKeyMissing
        case .help: .help
        case .noSuchCommand: .noSuchCommand
        case .unknownCommand: .unknownCommand
        case .dontKnow: .dontKnow
        case .ticketOpened(_, _, let opening): opening == nil ? .ticketOpened : .ticketOpenedOutOfHours
        case .ticketStillOpen: .ticketStillOpen
        case .ticketClosed: .ticketClosed
        case .staffOnly: .staffOnly
        case .forgetNeedsAccount: .forgetNeedsAccount
        }
    }

    /// The values of its `{placeholders}`.
    var values: [String: String] {
        switch self {
        case .adminOnly(let command), .configureOnly(let command), .commandFailed(let command): ["command": command]
        case .rateLimited(_, let seconds): ["seconds": "\(seconds)"]
        case .fallbackUsed(let backend, let fallback): ["backend": backend, "fallback": fallback]
        case .busy, .escalated, .noAnswer, .unavailable, .undelivered, .cannotReadEncryptedRoom, .messageKeyMissing, .dontKnow: [:]
        case .help(let commands, let help): ["commands": commands, "help": help]
        case .noSuchCommand(let command, let help), .unknownCommand(let command, let help): ["command": command, "help": help]
        case .ticketOpened(let id, let position, let opening):
            ["ticket": "#\(id)", "position": "\(position)", "opening": opening ?? ""]
        case .ticketStillOpen(let id), .ticketClosed(let id): ["ticket": "#\(id)"]
        case .staffOnly(let command), .forgetNeedsAccount(let command): ["command": command]
        }
    }

    public func text(in language: BotLanguage) -> String {
        switch language {
        case .english: english
        case .simplifiedChinese: simplifiedChinese
        }
    }

    /// The config's own text for it if there is one (its placeholders filled in), else the
    /// language's.
    public func text(in language: BotLanguage, overrides: [Key: String]) -> String {
        guard var text = overrides[key] else { return text(in: language) }
        for (name, value) in values { text = text.replacing("{\(name)}", with: value) }
        return text
    }

    private var english: String {
        switch self {
        case .busy: "I'm still answering earlier messages here; please ask again in a moment."
        case .escalated: "I've passed this on to a person who can help; they'll get back to you."
        case .adminOnly(let command): "Sorry, \(command) is for admins (by services account), and you're not logged in as one."
        case .configureOnly(let command):
            "Sorry, \(command) is for admins and, where the channel allows it, its operators identified to services."
        case .commandFailed(let command): "Sorry, \(command) failed."
        case .rateLimited(let channelWide, let seconds):
            "That's more questions than I can take from \(channelWide ? "this channel" : "you") right now; please wait \(seconds) s."
        case .noAnswer: "Sorry, I couldn't produce an answer just now; please try again in a moment."
        case .unavailable: "Sorry, I can't answer at the moment: my model service turned me away. The operator has been told."
        case .undelivered: "Sorry, my answer could not be delivered here (the network refused it); the details are in my log."
        case .fallbackUsed(let backend, let fallback): "(\(backend) did not answer; this reply came from \(fallback).)"
        case .cannotReadEncryptedRoom:
            "This room is end-to-end encrypted, and I can't read encrypted messages yet, so I won't see what you write here. Talk to me in an unencrypted room instead."
        case .messageKeyMissing:
            "I can't read your last message yet: its key hasn't reached me. I'll answer as soon as it does; sending it again may help."
        case .help(let commands, let help):
            "Commands: \(commands). Ask me something by addressing me by name. \(help) <command> explains one."
        case .noSuchCommand(let command, let help): "No command \(command); try \(help)."
        case .unknownCommand(let command, let help): "I don't know \(command); \(help) lists what I can do."
        case .dontKnow: "I don't know the answer to that from our documentation; I can pass your question to a person."
        case .ticketOpened(let id, let position, nil):
            "I've passed this to a person as ticket #\(id); you're number \(position) in the queue, and they'll answer here."
        case .ticketOpened(let id, let position, let opening?):
            "I've passed this to a person as ticket #\(id); you're number \(position) in the queue. Nobody is in right now; someone will answer here from \(opening)."
        case .ticketStillOpen(let id): "Your ticket #\(id) is still open; a person will answer here."
        case .ticketClosed(let id): "Ticket #\(id) is closed, and I'm answering here again; ask me anything."
        case .staffOnly(let command): "Sorry, \(command) is for staff, in the staff channel."
        case .forgetNeedsAccount(let command):
            "I can only do \(command) for someone logged in to services: a nick alone could be anyone's. Log in and ask again."
        }
    }

    private var simplifiedChinese: String {
        switch self {
        case .busy: "我还在回答这里之前的消息，请稍后再问。"
        case .escalated: "我已经把这件事转给能帮忙的人了，他们会回复你。"
        case .adminOnly(let command): "抱歉，\(command) 只有管理员可以使用（按服务账号认证），而你没有以管理员身份登录。"
        case .configureOnly(let command): "抱歉，\(command) 只有管理员以及（频道允许时）已向服务认证的频道操作员可以使用。"
        case .commandFailed(let command): "抱歉，\(command) 执行失败。"
        case .rateLimited(let channelWide, let seconds):
            "\(channelWide ? "这个频道" : "你")的问题太多了，我一时处理不过来；请等 \(seconds) 秒。"
        case .noAnswer: "抱歉，我现在没能给出回答，请稍后再试。"
        case .unavailable: "抱歉，我暂时无法回答：模型服务拒绝了我的请求，已通知管理员。"
        case .undelivered: "抱歉，我的回答没能发送到这里（网络拒绝了它），详情见我的日志。"
        case .fallbackUsed(let backend, let fallback): "（\(backend) 没有回应；这条回答来自 \(fallback)。）"
        case .cannotReadEncryptedRoom: "这个房间启用了端到端加密，而我暂时还读不了加密消息，所以看不到你在这里写的内容。请在未加密的房间里和我交谈。"
        case .messageKeyMissing: "我暂时还读不了你刚才的消息：它的密钥还没有送到我这里。密钥一到我就回答；再发一次也许有用。"
        case .help(let commands, let help): "可用命令：\(commands)。想问我问题，请在消息里叫我的名字。\(help) <命令> 可查看某个命令的说明。"
        case .noSuchCommand(let command, let help): "没有 \(command) 这个命令；试试 \(help)。"
        case .unknownCommand(let command, let help): "我不认识 \(command)；\(help) 会列出我能做的事。"
        case .dontKnow: "我们的文档里没有这个问题的答案；我可以把你的问题转给工作人员。"
        case .ticketOpened(let id, let position, nil):
            "我已把你的问题转给工作人员，工单号 #\(id)；你排在第 \(position) 位，工作人员会在这里回复你。"
        case .ticketOpened(let id, let position, let opening?):
            "我已把你的问题转给工作人员，工单号 #\(id)；你排在第 \(position) 位。现在没有人值班，\(opening) 起会有人在这里回复你。"
        case .ticketStillOpen(let id): "你的工单 #\(id) 仍在处理中，工作人员会在这里回复你。"
        case .ticketClosed(let id): "工单 #\(id) 已关闭，我又可以在这里回答你了，请随便问。"
        case .staffOnly(let command): "抱歉，\(command) 只限工作人员在工作人员频道使用。"
        case .forgetNeedsAccount(let command): "我只能为已登录服务账号的人执行 \(command)：单凭昵称无法确认是谁。请登录后再试。"
        }
    }
}
