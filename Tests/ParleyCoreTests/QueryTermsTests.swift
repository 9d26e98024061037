import ParleyCore
import Testing

@Suite struct QueryTermsTests {
    @Test func termsDropStopWordsSingleLettersAndRepeats() {
        #expect(QueryTerms.terms(of: "What's the price of the 2 plans, the PLANS?") == ["price", "2", "plans"])
        #expect(QueryTerms.terms(of: "\" OR * NEAR( ^") == ["near"], "FTS5 syntax is just punctuation or a word")
    }

    @Test func coverageCountsWordsTheTextHoldsWithTheirEndings() {
        #expect(QueryTerms.coverage(of: ["billed", "twice"], in: "If you were billed twice…") == 1)
        #expect(QueryTerms.coverage(of: ["charges", "poem"], in: "Duplicate charged amounts") == 0.5)
        #expect(QueryTerms.coverage(of: [], in: "anything") == 0)
    }
}
