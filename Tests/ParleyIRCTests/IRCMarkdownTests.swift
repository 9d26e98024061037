@testable import ParleyIRC
import Testing

/// Issue 17: Markdown from the model made readable on IRC.
@Suite struct IRCMarkdownTests {
    func render(_ mode: IRCMarkdown, _ lines: [String]) -> [String] {
        var inCode = false
        return lines.compactMap { mode.render(line: $0, inCodeBlock: &inCode) }
    }

    @Test func emphasisAndCodeBecomeIRCCodesOrLoseTheirMarkers() {
        let line = "Use **bold**, *italic*, __also bold__, _also italic_ and `git push`."
        #expect(render(.format, [line]) == ["Use \u{02}bold\u{02}, \u{1D}italic\u{1D}, \u{02}also bold\u{02}, \u{1D}also italic\u{1D} and \u{11}git push\u{11}."])
        #expect(render(.strip, [line]) == ["Use bold, italic, also bold, also italic and git push."])
        #expect(render(.keep, [line]) == [line])
    }

    @Test func markersThatAreNotEmphasisStay() {
        for text in ["2 * 3 * 4 = 24", "snake_case_name and a__b__c", "a * b", "**", "trailing *star", "`unclosed code"] {
            #expect(render(.strip, [text]) == [text], "\(text)")
        }
        #expect(render(.format, ["**bold with `code` inside**"]) == ["\u{02}bold with \u{11}code\u{11} inside\u{02}"])
    }

    @Test func headingsListsAndLinksReadWell() {
        #expect(render(.format, ["## Install", "- first step", "  * nested", "1. numbered stays", "See [the docs](https://example.org/docs)."]) == [
            "\u{02}Install\u{02}", "• first step", "  • nested", "1. numbered stays", "See the docs (https://example.org/docs).",
        ])
        #expect(render(.strip, ["# Title", "#hashtag", "[not a link] (x)"]) == ["Title", "#hashtag", "[not a link] (x)"])
    }

    @Test func aCodeBlockIsItsPlainLinesWithoutFences() {
        let lines = ["Run this:", "```swift", "let **x** = `y`", "  indented_name()", "```", "Then *done*."]
        #expect(render(.format, lines) == ["Run this:", "let **x** = `y`", "  indented_name()", "Then \u{1D}done\u{1D}."])
    }
}
