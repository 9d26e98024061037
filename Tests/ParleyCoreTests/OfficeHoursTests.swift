import Foundation
import ParleyCore
import Testing

@Suite struct OfficeHoursTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let weekdays = OfficeHours.Span(start: 9 * 60, end: 17 * 60)
    static let hours = OfficeHours(
        timeZone: berlin, weekly: [2: [weekdays], 3: [weekdays], 4: [weekdays], 5: [weekdays], 6: [weekdays]],
        holidays: ["2026-12-25"])

    /// `2026-12-21 08:00` in Berlin.
    static func at(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = berlin
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    @Test func beforeDuringAndAfterHoursOnAWeekday() {
        #expect(!Self.hours.isOpen(at: Self.at("2026-12-21 08:59")))
        #expect(Self.hours.nextOpening(after: Self.at("2026-12-21 08:00")) == Self.at("2026-12-21 09:00"))
        #expect(Self.hours.isOpen(at: Self.at("2026-12-21 09:00")))
        #expect(Self.hours.nextOpening(after: Self.at("2026-12-21 10:30")) == Self.at("2026-12-21 10:30"), "open now")
        #expect(!Self.hours.isOpen(at: Self.at("2026-12-21 17:00")))
        #expect(Self.hours.nextOpening(after: Self.at("2026-12-21 18:00")) == Self.at("2026-12-22 09:00"))
    }

    @Test func aHolidayAndTheWeekendAreClosed() {
        #expect(!Self.hours.isOpen(at: Self.at("2026-12-25 10:00")), "a Friday, but Christmas")
        #expect(!Self.hours.isOpen(at: Self.at("2026-12-26 10:00")), "Saturday")
        #expect(Self.hours.nextOpening(after: Self.at("2026-12-24 17:30")) == Self.at("2026-12-28 09:00"))
        #expect(Self.hours.describe(Self.at("2026-12-28 09:00")) == "Mon 28 Dec 09:00 (Europe/Berlin)")
        #expect(OfficeHours(timeZone: Self.berlin, weekly: [:]).nextOpening(after: Self.at("2026-12-21 08:00")) == nil)
    }
}
