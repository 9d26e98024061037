import Foundation
import ParleyCore

/// Reads a channel rule's `helpdesk: {staff_channel: {network, channel}, hours: {timezone,
/// weekly: {mon: "09:00-17:00", …}, holidays: [YYYY-MM-DD]}, claim_timeout_s}`.
enum HelpdeskReader {
    static let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    static func read(_ node: ConfigNode, networks: [NetworkID]) throws -> HelpdeskPolicy {
        let map = try node.mapping(keys: ["staff_channel", "hours", "claim_timeout_s", "greeting", "privacy_notice"])
        var policy = HelpdeskPolicy(staffChannel: try ConfigLoader.readChannelKey(map.required("staff_channel"), networks: networks))
        if let timeout = map["claim_timeout_s"] { policy.claimTimeout = .seconds(try timeout.int(in: 10...604_800)) }
        if let hours = map["hours"] { policy.hours = try readHours(hours) }
        policy.greeting = try map["greeting"]?.nonEmptyString()
        policy.privacyNotice = try map["privacy_notice"]?.nonEmptyString()
        return policy
    }

    static func readHours(_ node: ConfigNode) throws -> OfficeHours {
        let map = try node.mapping(keys: ["timezone", "weekly", "holidays"])
        let zoneNode = try map.required("timezone")
        let zoneName = try zoneNode.nonEmptyString()
        guard let zone = TimeZone(identifier: zoneName) else {
            throw zoneNode.invalid("'\(zoneName)' is not a time zone; use an IANA name such as Europe/Berlin or UTC")
        }
        var weekly: [Int: [OfficeHours.Span]] = [:]
        for (day, spansNode) in try map.required("weekly").mapping(keys: days).pairs {
            guard let index = days.firstIndex(of: day) else { continue }
            weekly[index + 1] = try spansNode.stringList().map { try span($0, at: spansNode) }
        }
        var holidays: Set<String> = []
        for holiday in try map["holidays"]?.list() ?? [] {
            let text = try holiday.nonEmptyString()
            let parts = text.split(separator: "-").compactMap { Int($0) }
            guard parts.count == 3, (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
                throw holiday.invalid("'\(text)' is not a date; write YYYY-MM-DD")
            }
            holidays.insert(String(format: "%04d-%02d-%02d", parts[0], parts[1], parts[2]))
        }
        return OfficeHours(timeZone: zone, weekly: weekly, holidays: holidays)
    }

    /// `09:00-17:30` → minutes after midnight.
    static func span(_ text: String, at node: ConfigNode) throws -> OfficeHours.Span {
        func minutes(_ time: Substring) -> Int? {
            let parts = time.split(separator: ":")
            guard parts.count == 2, let hour = Int(parts[0]), let minute = Int(parts[1]),
                  (0...24).contains(hour), (0...59).contains(minute), hour * 60 + minute <= 24 * 60 else { return nil }
            return hour * 60 + minute
        }
        let ends = text.replacingOccurrences(of: " ", with: "").split(separator: "-")
        guard ends.count == 2, let start = minutes(ends[0]), let end = minutes(ends[1]), start < end else {
            throw node.invalid("'\(text)' is not a span of hours; write HH:MM-HH:MM, as 09:00-17:30")
        }
        return OfficeHours.Span(start: start, end: end)
    }
}
