import Foundation
import ParleyCore

/// Turns a room message event into the core's `InboundMessage`, or says why it is not one.
struct MatrixInbound: Sendable {
    let network: NetworkID
    let botUser: MatrixUserID
    /// The bot's display name, for mentions written as plain text.
    var botDisplayName: String?
    let noticesFrom: Set<MatrixUserID>

    enum Skip: Error, Equatable {
        case ownEvent, notAMessage, unsupportedType, noticeFromABot, edit, emptyBody, malformedIDs
    }

    func message(from event: MatrixEvent, room: MatrixRoomID, rooms: MatrixRoomDirectory) -> Result<InboundMessage, Skip> {
        guard let eventID = event.eventID else { return .failure(.notAMessage) }
        // A homeserver checks these; one that does not must not get a control character or a
        // bare name into the core as someone's identity.
        guard eventID.isWellFormed, event.sender.isValid else { return .failure(.malformedIDs) }
        guard event.sender != botUser else { return .failure(.ownEvent) }
        guard event.type == "m.room.message", let type = event.messageType else { return .failure(.notAMessage) }
        let isNotice = type == "m.notice"
        guard type == "m.text" || isNotice else { return .failure(.unsupportedType) }
        guard !isNotice || noticesFrom.contains(event.sender) else { return .failure(.noticeFromABot) }
        guard !event.isEdit else { return .failure(.edit) }
        var text = event.body ?? ""
        if event.inReplyTo != nil { text = Self.withoutReplyFallback(text) }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return .failure(.emptyBody) }

        let info = rooms[room]
        let sender = Sender(
            id: UserID(event.sender.rawValue),
            displayName: rooms.displayName(of: event.sender, in: room),
            account: event.sender.rawValue,
            isOperator: info.powerLevels.level(of: event.sender) >= 50,
            isBot: isNotice)
        let time = event.originServerTS.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) } ?? Date()
        return .success(InboundMessage(
            id: MessageID(eventID.rawValue),
            channel: ChannelKey(network: network, channel: rooms.channel(for: room)),
            sender: sender,
            text: text,
            isDirect: info.direct,
            addressing: addressing(of: event, text: text),
            thread: event.threadRoot.map { ThreadID($0.rawValue) },
            replyTo: event.inReplyTo.map { MessageID($0.rawValue) },
            time: time))
    }

    /// An edit (`m.replace`, its `m.new_content`) or a redaction of an earlier message, as the
    /// core's revision; nil for anything else. An edit is reported with its sender, and the core
    /// applies it only to that sender's own line: the homeserver does not check who edits what.
    func revision(from event: MatrixEvent, room: MatrixRoomID, rooms: MatrixRoomDirectory) -> ConnectorEvent? {
        guard event.sender != botUser, event.sender.isValid else { return nil }
        let channel = ChannelKey(network: network, channel: rooms.channel(for: room))
        if event.type == "m.room.redaction" {
            guard let target = event.redacts, target.isWellFormed else { return nil }
            return .revised(channel, MessageID(target.rawValue), .redacted)
        }
        guard event.isEdit, let target = event.content["m.relates_to"]?["event_id"]?.string.map(MatrixEventID.init),
              target.isWellFormed, var text = event.content["m.new_content"]?["body"]?.string
        else { return nil }
        // Stored as the question was: without the bot's name in front.
        if case .addressed(let body) = Addressing.detect(in: text, names: botNames) { text = body }
        return .revised(channel, MessageID(target.rawValue), .edited(text: text, by: UserID(event.sender.rawValue)))
    }

    /// The names the bot answers to in a body.
    private var botNames: [String] { [botDisplayName, botUser.rawValue, botUser.localpart].compactMap { $0 } }

    /// The mention rules: `m.mentions` naming the bot is a mention; without `m.mentions` (older
    /// clients), the bot's user id, local part or display name in the body is. Either way a
    /// leading `name:` is taken off the question. A message whose `m.mentions` leaves the bot out
    /// is addressed only by an explicit `name:` at its start.
    func addressing(of event: MatrixEvent, text: String) -> Addressing {
        let detected = Addressing.detect(in: text, names: botNames)
        let hasMentions = event.content["m.mentions"] != nil
        if event.mentionedUsers.contains(botUser) {
            if case .addressed = detected { return detected }
            return .mentioned
        }
        if hasMentions, case .mentioned = detected { return .none }
        return detected
    }

    /// Removes the quoted fallback (`> <@user> …` lines and the blank line after them) that older
    /// clients put before a reply's own text.
    static func withoutReplyFallback(_ body: String) -> String {
        guard body.hasPrefix("> ") else { return body }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        let rest = lines.drop { $0.hasPrefix(">") }
        return rest.drop { $0.isEmpty }.joined(separator: "\n")
    }
}
