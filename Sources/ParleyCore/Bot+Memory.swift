import Logging

/// What the bot remembers beyond a context window, and what it lets go when people ask: edits
/// and redactions, summaries, notes per person.
extension Bot {
    /// A message edited or redacted: the conversations of its channel that hold it change with it.
    func revise(_ message: MessageID, in channel: ChannelKey, _ revision: MessageRevision) async {
        for (key, session) in sessions where key.channel == channel {
            switch revision {
            case .edited(let text, let author): await session.edit(message, by: author, text: text)
            case .redacted: await session.redact(message)
            }
        }
    }

    /// The same in storage, off the inbound path.
    func reviseStored(_ message: MessageID, in channel: ChannelKey, _ revision: MessageRevision, store: WriteBehindStore) async {
        do {
            let changed = switch revision {
            case .edited(let text, let author): try await store.edit(message, in: channel, by: author, text: text)
            case .redacted: try await store.redact(message, in: channel)
            }
            logger.debug("a stored line was revised", metadata: ["bot.channel": "\(channel)", "bot.changed": "\(changed)"])
        } catch {
            logger.error("could not revise a stored line", metadata: ["bot.channel": "\(channel)", "error": "\(error)"])
        }
    }

    /// Whether `channel`'s privacy notice is still to be said; marks it said (kept across restarts).
    func takePrivacyNotice(for channel: ChannelKey) async -> Bool {
        guard adminState.noticed.insert(channel).inserted else { return false }
        await saveAdminState()
        return true
    }

    /// How long `channel`'s lines are kept, where its rule says (`retention_days`).
    public func retention(of channel: ChannelKey) -> Duration? {
        policies.policy(for: channel, isDirect: false).retention
    }

    public func summary(for message: InboundMessage) async -> ConversationSummary? {
        let policy = policies.policy(for: message.channel, isDirect: message.isDirect)
        let key = SessionKey(for: message, scope: policy.scope)
        if let session = sessions[key] { return await session.currentSummary }
        return try? await store?.summary(of: key)
    }

    public func notes(for message: InboundMessage) async throws -> [PersonNote]? {
        guard policies.policy(for: message.channel, isDirect: message.isDirect).memory.notes else { return nil }
        return try await store?.notes(of: message.sender.id, on: message.channel.network) ?? []
    }

    public func remember(_ text: String, for message: InboundMessage) async throws -> Bool {
        guard policies.policy(for: message.channel, isDirect: message.isDirect).memory.notes, let store else { return false }
        try await store.addNote(PersonNote(text: text, time: now()), for: message.sender.id, on: message.channel.network)
        return true
    }

    public func forgetNotes(containing text: String, for message: InboundMessage) async throws -> Int? {
        guard policies.policy(for: message.channel, isDirect: message.isDirect).memory.notes, let store else { return nil }
        return try await store.removeNotes(of: message.sender.id, on: message.channel.network, containing: text)
    }
}
