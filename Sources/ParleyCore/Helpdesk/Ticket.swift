public import Foundation

/// A customer's question handed to people: who asked, where, why, what was said last, and
/// where it stands.
public struct Ticket: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case open, claimed, closed
    }

    /// Given by the store when the ticket is opened (0 before).
    public var id: Int
    public var channel: ChannelKey
    public var isDirect: Bool
    public var customer: UserID
    public var customerName: String
    public var reason: String
    /// The conversation's last lines when the ticket was opened, oldest first.
    public var transcript: [String]
    public var state: State
    /// The account of the person who claimed it.
    public var staff: String?
    public var opened: Date
    public var claimed: Date?
    public var closed: Date?

    public init(
        id: Int = 0, channel: ChannelKey, isDirect: Bool, customer: UserID, customerName: String, reason: String,
        transcript: [String], state: State = .open, staff: String? = nil, opened: Date, claimed: Date? = nil, closed: Date? = nil
    ) {
        self.id = id
        self.channel = channel
        self.isDirect = isDirect
        self.customer = customer
        self.customerName = customerName
        self.reason = reason
        self.transcript = transcript
        self.state = state
        self.staff = staff
        self.opened = opened
        self.claimed = claimed
        self.closed = closed
    }

    /// Whether `message` comes from this ticket's customer, where the ticket was opened.
    func concerns(_ message: InboundMessage) -> Bool {
        message.channel == channel && message.sender.id == customer
    }
}

/// Where tickets are kept (Parley's SQLite store), so that a restart keeps them as they were.
public protocol TicketStore: Sendable {
    /// Stores a new ticket and returns it with its id.
    func openTicket(_ ticket: Ticket) async throws -> Ticket
    func updateTicket(_ ticket: Ticket) async throws
    func tickets(in states: Set<Ticket.State>) async throws -> [Ticket]
    func ticket(_ id: Int) async throws -> Ticket?
}

/// A channel's hand-off to people (`helpdesk:` in a channel rule).
public struct HelpdeskPolicy: Sendable, Hashable {
    /// Where tickets are announced and staff give their commands; any network.
    public var staffChannel: ChannelKey
    /// When people answer; nil: always.
    public var hours: OfficeHours?
    /// An unclaimed ticket is announced again after this long.
    public var claimTimeout: Duration
    /// Said before the first answer to a customer the bot has no conversation with.
    public var greeting: String?
    /// Said once to each customer, with the greeting: what is kept, for how long, `!forget me`.
    public var privacyNotice: String?

    public init(
        staffChannel: ChannelKey, hours: OfficeHours? = nil, claimTimeout: Duration = .seconds(600),
        greeting: String? = nil, privacyNotice: String? = nil
    ) {
        self.staffChannel = staffChannel
        self.hours = hours
        self.claimTimeout = claimTimeout
        self.greeting = greeting
        self.privacyNotice = privacyNotice
    }
}
