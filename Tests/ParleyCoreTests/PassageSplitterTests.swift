import ParleyCore
import Testing

@Suite struct PassageSplitterTests {
    @Test func markdownIsCutAtHeadingsKeepingTheirPath() {
        let text = """
            Intro before any heading.
            # Billing
            ## Refunds
            Thirty days.
            ```
            # not a heading in code
            ```
            ### Annual
            Ten percent.
            ## Invoices ##
            PDF.
            #NoSpace is text
            """
        let passages = PassageSplitter.passages(of: text, source: "b.md", title: "b", markdown: true)
        #expect(passages.map(\.headings) == [["b"], ["Billing", "Refunds"], ["Billing", "Refunds", "Annual"], ["Billing", "Invoices"]])
        #expect(passages[1].text.contains("# not a heading in code"))
        #expect(passages[3].text == "PDF.\n#NoSpace is text")
        #expect(passages[2].title == "Billing › Refunds › Annual")
    }

    @Test func plainTextIsOnePassageUnderItsTitleAndLongSectionsAreCut() {
        let long = (1...400).map { "word\($0)" }.joined(separator: " ")
        let passages = PassageSplitter.passages(of: "# not a heading here\n\n" + long, source: "a.txt", title: "notes", markdown: false)
        #expect(passages.allSatisfy { $0.headings == ["notes"] && $0.text.count <= PassageSplitter.maxCharacters })
        #expect(passages.count > 1)
        #expect(passages.map(\.text).joined(separator: " ").split(whereSeparator: { $0 == " " || $0 == "\n" }).count == 400 + 5, "nothing lost")
        #expect(PassageSplitter.passages(of: "\n\n  \n", source: "e.md", title: "e", markdown: true).isEmpty)
    }
}
