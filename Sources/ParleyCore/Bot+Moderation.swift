import Foundation
import Logging

/// Carrying out moderation verdicts: a word to the sender, a note to humans, an action.
extension Bot {
    /// The work a stopping verdict asks for: a word to the sender, a note to humans, an action.
    func consequences(of verdict: ModerationVerdict, for message: InboundMessage, isRequest: Bool) -> [Work] {
        switch verdict {
        case .allow, .rewrite, .drop:
            return []
        case .respond(let text, _):
            return [replyWork(to: message, text)]
        case .escalate(let reason) where policy(of: message).helpdesk != nil:
            return [{ [self] in
                if let text = await openTicket(for: message, reason: reason), isRequest { await deliver(text, to: message) }
            }]
        case .escalate(let reason):
            var work: [Work] = []
            if let target = setup.escalationChannel {
                let note = "Escalation from \(message.sender.displayName) in \(message.channel.channel): \(message.text) (\(reason))"
                work.append { [self] in await outbox.say(note, to: .note(in: target)) }
            } else {
                logger.warning("escalation requested but no escalation channel is configured",
                               metadata: ["bot.channel": "\(message.channel)"])
            }
            if isRequest {
                work.append(replyWork(to: message, policy(of: message).text(.escalated)))
            }
            return work
        case .act(let action, _):
            guard let connector = connectors[message.channel.network] else { return [] }
            return [{ [self] in
                do {
                    try await connector.perform(action, in: message.channel)
                } catch {
                    logger.warning("moderation action failed",
                                   metadata: ["bot.channel": "\(message.channel)", "bot.action": "\(action.kind)", "error": "\(error)"])
                }
            }]
        }
    }

    /// Logs a verdict other than allow, and keeps it in the moderation log.
    func note(
        _ verdict: ModerationVerdict, hook: String, direction: ModerationEvent.Direction,
        channel: ChannelKey, user: UserID?
    ) async {
        let reason = verdict.reason ?? ""
        ParleyMetric.moderationVerdicts.increment([("action", verdict.label), ("direction", direction.rawValue)])
        logger.notice(
            "moderation verdict",
            metadata: [
                "mod.hook": "\(hook)", "mod.verdict": "\(verdict.label)", "mod.direction": "\(direction.rawValue)",
                "mod.reason": "\(reason)", "bot.channel": "\(channel)",
            ])
        let event = ModerationEvent(
            channel: channel, user: user, hook: hook, direction: direction, verdict: verdict.label, reason: reason)
        // Written behind; a failure is logged by the store's worker.
        await store?.record(event)
    }
}
