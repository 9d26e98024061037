@testable import ParleyCore
import Testing

@Suite struct PrivacyMaskTests {
    static let all = PrivacyMask(patterns: [.email, .phone, .card, .iban, .custom(name: "ticket", regex: "TCK-[0-9]{4}")])

    func masked(_ text: String, _ mask: PrivacyMask = all) -> (text: String, originals: [String: String]) {
        var masking = PrivacyMask.Masking()
        let result = mask.mask(text, into: &masking)
        return (result, masking.originals)
    }

    @Test func eachKindBecomesANumberedPlaceholder() {
        let result = masked("""
            Mail jane.doe+bills@example.co.uk or call +44 20 7946 0958. Card 4111 1111 1111 1111, \
            IBAN GB82 WEST 1234 5698 7654 32, ticket TCK-0042.
            """)
        #expect(result.text == "Mail [EMAIL_1] or call [PHONE_1]. Card [CARD_1], IBAN [IBAN_1], ticket [TICKET_1].")
        #expect(result.originals["[CARD_1]"] == "4111 1111 1111 1111")
        #expect(result.originals["[IBAN_1]"] == "GB82 WEST 1234 5698 7654 32")
    }

    @Test func oneValueGetsOnePlaceholderAndAnotherTheNext() {
        var masking = PrivacyMask.Masking()
        let first = Self.all.mask("a@example.org and b@example.org", into: &masking)
        let second = Self.all.mask("again a@example.org", into: &masking)
        #expect(first == "[EMAIL_1] and [EMAIL_2]" && second == "again [EMAIL_1]")
    }

    @Test func numbersThatFailTheirChecksAndDatesAreLeftAlone() {
        // Not a card or an IBAN; the digits may still read as a phone number, which errs on the
        // side of what leaves the machine.
        #expect(!masked("order 4111 1111 1111 1112 shipped").text.contains("[CARD_"), "fails Luhn")
        #expect(!masked("GB00 WEST 1234 5698 7654 32").text.contains("[IBAN_"), "fails mod 97")
        #expect(masked("on 2026-12-02 at 10:30, version 1.2.3").text == "on 2026-12-02 at 10:30, version 1.2.3")
        #expect(masked("call 020 7946 0958 today").text == "call [PHONE_1] today")
    }

    @Test func onlyTheChosenKindsAreMasked() {
        let emailOnly = PrivacyMask(patterns: [.email])
        #expect(masked("x@example.org +44 20 7946 0958", emailOnly).text == "[EMAIL_1] +44 20 7946 0958")
    }

    @Test func aCustomPatternIsCheckedBeforeUse() {
        #expect(PrivacyMask.problem(in: "TCK-[0-9]+") == nil)
        #expect(PrivacyMask.problem(in: "TCK-[0-9") != nil)
        #expect(PrivacyMask.problem(in: "x*") == "it matches the empty string")
    }

    @Test func aSplitPlaceholderInAStreamIsPutBackWhole() {
        var restorer = PlaceholderRestorer(originals: ["[EMAIL_1]": "a@example.org", "[CARD_1]": "4111"])
        var shown = ""
        for piece in ["Write to [EMA", "IL_1", "] about [CA", "RD_1]; [not one] [", "EMAIL_1]", " [EMAIL"] {
            shown += restorer.feed(piece)
        }
        shown += restorer.finish()
        #expect(shown == "Write to a@example.org about 4111; [not one] a@example.org [EMAIL")
    }
}
