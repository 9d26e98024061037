@testable import ParleyMatrix
import Testing

@Suite struct MarkdownHTMLTests {
    @Test(arguments: [
        ("plain text", "<p>plain text</p>"),
        ("two\nlines", "<p>two<br>lines</p>"),
        ("one\n\ntwo", "<p>one</p><p>two</p>"),
        ("**bold** and *it* and _it_", "<p><strong>bold</strong> and <em>it</em> and <em>it</em></p>"),
        ("use `a < b` here", "<p>use <code>a &lt; b</code> here</p>"),
        ("`**not bold**`", "<p><code>**not bold**</code></p>"),
        ("# Title", "<h1>Title</h1>"),
        ("- a\n- b", "<ul><li>a</li><li>b</li></ul>"),
        ("1. a\n2. b", "<ol><li>a</li><li>b</li></ol>"),
        ("> quoted", "<blockquote><p>quoted</p></blockquote>"),
        ("```swift\nlet x = 1 < 2\n```", "<pre><code class=\"language-swift\">let x = 1 &lt; 2\n</code></pre>"),
        ("[docs](https://example.org/a?b=1&c=2)", "<p><a href=\"https://example.org/a?b=1&amp;c=2\">docs</a></p>"),
        ("2 * 3 * 4", "<p>2 * 3 * 4</p>"),
        ("snake_case_name", "<p>snake_case_name</p>"),
    ])
    func rendersTheMarkdownModelsWrite(markdown: String, html: String) {
        #expect(MarkdownHTML.render(markdown) == html)
    }

    @Test func escapesEveryTagAModelWrites() {
        let html = MarkdownHTML.render("<script>alert(\"x\")</script> & <img src=x onerror=y>")
        #expect(!html.contains("<script") && !html.contains("<img"))
        #expect(html == "<p>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=y&gt;</p>")
    }

    /// Found by the markdown-html fuzz target: "<" followed by a combining mark is one Swift
    /// Character, and escaping by Character let the "<" through.
    @Test func escapesByScalarSoACombiningMarkCannotHideATag() {
        #expect(MarkdownHTML.render("<\u{73C}b>x</b\u{301}>") == "<p>&lt;\u{73C}b&gt;x&lt;/b\u{301}&gt;</p>")
        #expect(MarkdownHTML.escape("\"\u{301}&\u{301}") == "&quot;\u{301}&amp;\u{301}")
    }

    @Test func linksOnlyToWebAndMailAddresses() {
        #expect(MarkdownHTML.render("[x](javascript:alert(1))") == "<p>[x](javascript:alert(1))</p>")
        #expect(MarkdownHTML.render("[x](\"onmouseover=\"y)") == "<p>[x](&quot;onmouseover=&quot;y)</p>")
        #expect(MarkdownHTML.render("[mail](mailto:a@b.org)") == "<p><a href=\"mailto:a@b.org\">mail</a></p>")
    }

    @Test func anUnclosedFenceIsStillCode() {
        #expect(MarkdownHTML.render("```\npartial <b>") == "<pre><code>partial &lt;b&gt;\n</code></pre>")
    }
}
