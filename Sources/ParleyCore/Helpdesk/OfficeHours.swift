public import Foundation

/// When people answer a helpdesk: opening times per weekday in a time zone, and holidays.
public struct OfficeHours: Sendable, Hashable {
    /// Minutes after midnight, `start` included, `end` excluded.
    public struct Span: Sendable, Hashable {
        public var start: Int
        public var end: Int

        public init(start: Int, end: Int) {
            self.start = start
            self.end = end
        }
    }

    public var timeZone: TimeZone
    /// By weekday, 1 = Sunday … 7 = Saturday (as `Calendar` counts).
    public var weekly: [Int: [Span]]
    /// Whole days closed, as `yyyy-MM-dd` in `timeZone`.
    public var holidays: Set<String>

    public init(timeZone: TimeZone, weekly: [Int: [Span]], holidays: Set<String> = []) {
        self.timeZone = timeZone
        self.weekly = weekly
        self.holidays = holidays
    }

    private var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar
    }

    func day(of date: Date) -> String {
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// Whether someone answers at `date`.
    public func isOpen(at date: Date) -> Bool {
        guard !holidays.contains(day(of: date)) else { return false }
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: date)
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return (weekly[parts.weekday ?? 0] ?? []).contains { $0.start <= minute && minute < $0.end }
    }

    /// The next time the helpdesk opens after `date` (within two weeks); nil if it never does.
    public func nextOpening(after date: Date) -> Date? {
        let calendar = self.calendar
        let midnight = calendar.startOfDay(for: date)
        for offset in 0..<15 {
            guard let day = calendar.date(byAdding: .day, value: offset, to: midnight), !holidays.contains(self.day(of: day)) else { continue }
            let weekday = calendar.component(.weekday, from: day)
            for span in (weekly[weekday] ?? []).sorted(by: { $0.start < $1.start }) {
                guard let opening = calendar.date(byAdding: .minute, value: span.start, to: day),
                      let closing = calendar.date(byAdding: .minute, value: span.end, to: day) else { continue }
                if opening > date { return opening }
                if closing > date { return date }
            }
        }
        return nil
    }

    /// `Mon 09:00` in the helpdesk's zone, for telling a customer when someone will answer.
    public func describe(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "EEE d MMM HH:mm"
        return formatter.string(from: date) + " (" + timeZone.identifier + ")"
    }
}
