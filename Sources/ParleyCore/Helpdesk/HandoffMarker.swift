/// How the model says a customer wants a person: it ends its reply with `[handoff]`, which the
/// reply filter removes before anything is sent and the bot takes as a request for a ticket.
enum HandoffMarker {
    static let word = "handoff"

    static let instructions = """
        If the customer asks to talk to a person or a human, answer in one short sentence that \
        you are passing them on, and end your reply with [handoff].
        """
}
