import Foundation
import Logging

/// Creating channel sessions and letting the least recently used go.
extension Bot {
    /// The session for `key`, created if it is new (its worker is then for the caller to start).
    func sessionFor(_ key: SessionKey, policy: ChannelPolicy, isDirect: Bool) async -> (session: ChannelSession, isNew: Bool) {
        defer { sessionUse[key] = clock.now() }
        if let session = sessions[key] { return (session, false) }
        await evictIfNeeded()
        let session = ChannelSession(
            key: key, isDirect: isDirect, policy: policy, environment: sessionEnvironment(), now: clock.now())
        sessions[key] = session
        sessionUse[key] = clock.now()
        return (session, true)
    }

    /// What sessions get from the bot as it is set up now.
    func sessionEnvironment() -> SessionEnvironment {
        SessionEnvironment(
            backends: installed.backends,
            outbox: outbox,
            store: store,
            limiter: limiter,
            breaker: breaker,
            clock: clock,
            knowledge: knowledge,
            context: installed.promptContext,
            logger: logger,
            replySent: { [self] message, text in await replySent(text, to: message) },
            knowledgeOutcome: { [self] message, knew in await knowledgeOutcome(message, knew: knew) },
            handoffRequested: { [self] message in
                if let text = await openTicket(for: message, reason: "asked for a person") { await deliver(text, to: message) }
            },
            privacyNoticeDue: { [self] channel in await takePrivacyNotice(for: channel) },
            jobFinished: { [self] message in await finish(message) })
    }

    func replySent(_ text: String, to message: InboundMessage) async {
        countReply()
        ParleyMetric.replies.increment([("network", message.channel.network.rawValue)])
        for plugin in plugins { await plugin.observe(.replySent(to: message, text: text)) }
    }

    func countReply() {
        repliesSent += 1
    }

    /// Lets go of the least recently used sessions beyond the limit. A session let go finishes
    /// what it has queued, then its worker ends; its transcript stays in storage and is restored
    /// if the conversation comes back.
    func evictIfNeeded() async {
        guard sessions.count >= configuration.maxSessions else { return }
        let excess = sessions.count - configuration.maxSessions + 1
        let victims = sessionUse.sorted { $0.value < $1.value }.prefix(excess).map(\.key)
        for key in victims {
            sessionUse[key] = nil
            await sessions.removeValue(forKey: key)?.close()
        }
    }
}
