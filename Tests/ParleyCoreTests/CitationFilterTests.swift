import ParleyCore
import Testing

@Suite struct CitationFilterTests {
    static func run(_ pieces: [String], titles: [String]) -> (text: String, removed: [String]) {
        var filter = CitationFilter(titles: titles)
        let text = pieces.map { filter.feed($0) }.joined() + filter.finish()
        return (text, filter.removed)
    }

    @Test func givenCitationsPassWhateverTheCaseAndSpacing() {
        let out = Self.run(["See [billing ›  refunds]."], titles: ["Billing › Refunds"])
        #expect(out.text == "See [billing ›  refunds]." && out.removed.isEmpty)
    }

    @Test func citationsOfPassagesNotGivenGoWithTheSpacesBeforeThem() {
        let out = Self.run(["Yes [Made › Up] and", " [Also › Made]", "."], titles: ["Billing › Refunds"])
        #expect(out.text == "Yes and.")
        #expect(out.removed == ["Made › Up", "Also › Made"])
    }

    @Test func aCitationSplitAcrossPiecesIsJudgedWhole() {
        let pieces = ["Refunds [Bil", "ling › Re", "funds] and [Gh", "ost]"]
        #expect(Self.run(pieces, titles: ["Billing › Refunds"]).text == "Refunds [Billing › Refunds] and")
    }

    @Test func linksLongGroupsAndBrokenGroupsPassAsWritten() {
        let long = "[" + String(repeating: "x", count: CitationFilter.maxLength + 5) + "]"
        #expect(Self.run(["a [link](https://e.org) b"], titles: []).text == "a [link](https://e.org) b")
        #expect(Self.run([long], titles: []).text == long)
        #expect(Self.run(["a [half\nline] b"], titles: []).text == "a [half\nline] b")
        #expect(Self.run(["unclosed [at the end"], titles: []).text == "unclosed [at the end")
        #expect(Self.run(["trailing  "], titles: []).text == "trailing  ")
    }
}
