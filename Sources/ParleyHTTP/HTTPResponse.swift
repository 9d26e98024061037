public import Foundation
import ParleyCore

/// A whole response: status, normalised headers, body.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: Data

    public init(status: Int, headers: HTTPHeaders = [:], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The wait a `Retry-After` header asks for (RFC 9110: seconds, or an HTTP date), at most
    /// `cap` so that a hostile or broken server cannot park a caller for ever; nil when there is
    /// none or it cannot be read.
    public func retryAfter(cap: Duration = .seconds(3600), now: Date = Date()) -> Duration? {
        headers["retry-after"].flatMap { Self.retryAfter($0, cap: cap, now: now) }
    }

    /// A `Retry-After` value read alone.
    public static func retryAfter(_ value: String, cap: Duration = .seconds(3600), now: Date = Date()) -> Duration? {
        let text = value.trimmingCharacters(in: .whitespaces)
        let capSeconds = cap.inSeconds
        if let seconds = Double(text) {
            guard seconds.isFinite, seconds >= 0 else { return nil }
            return .milliseconds(Int64(min(seconds, capSeconds) * 1000))
        }
        let formatter = DateFormatter()  // IMF-fixdate, the form RFC 9110 requires senders to use
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        return .milliseconds(Int64(min(max(0, date.timeIntervalSince(now)), capSeconds) * 1000))
    }
}
