import Foundation
import ParleyHTTP
import Testing

@Suite struct HTTPResponseTests {
    static let now = Date(timeIntervalSince1970: 1_445_412_480)  // Wed, 21 Oct 2015 07:28:00 GMT

    @Test func retryAfterReadsSecondsAndDates() {
        #expect(HTTPResponse.retryAfter("2") == .seconds(2))
        #expect(HTTPResponse.retryAfter(" 0.5 ") == .milliseconds(500))
        #expect(HTTPResponse.retryAfter("Wed, 21 Oct 2015 07:28:30 GMT", now: Self.now) == .seconds(30))
        #expect(HTTPResponse.retryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now: Self.now) == .zero)
    }

    @Test func retryAfterIgnoresWhatItCannotReadAndCapsTheRest() {
        for value in ["soon", "-5", "nan", "inf", ""] {
            #expect(HTTPResponse.retryAfter(value) == nil, "\(value)")
        }
        #expect(HTTPResponse.retryAfter("1e300", cap: .seconds(60)) == .seconds(60))
        #expect(HTTPResponse.retryAfter("Fri, 31 Dec 9999 23:59:59 GMT", cap: .seconds(3600)) == .seconds(3600))
        let response = HTTPResponse(status: 429, headers: ["RETRY-AFTER": "7"], body: Data())
        #expect(response.retryAfter() == .seconds(7))
    }
}
