import ParleyHTTP
import Testing

@Suite struct HTTPHeadersTests {
    @Test func namesAreFoundInAnyCaseAndValuesAreTrimmed() {
        var headers: HTTPHeaders = ["Retry-After": "  5 \t", "X-One": "a"]
        #expect(headers["retry-after"] == "5" && headers["RETRY-AFTER"] == "5")
        headers["x-ONE"] = "b"
        #expect(Array(headers).map(\.name) == ["retry-after", "x-one"] && headers["X-One"] == "b")
        headers["X-One"] = nil
        #expect(headers["x-one"] == nil)
    }

    @Test func repeatedFieldsAreKeptInOrder() {
        var headers = HTTPHeaders()
        headers.add("Set-Cookie", "a=1")
        headers.add("set-cookie", "b=2")
        #expect(headers.filter { $0.name == "set-cookie" }.map(\.value) == ["a=1", "b=2"])
    }

    @Test func aValueThatWouldStartAnotherHeaderIsRefused() {
        for value in ["x\r\nX-Injected: 1", "x\nEvil: 1", "x\r", "x\u{0}y", "a\u{7F}"] {
            let headers: HTTPHeaders = ["X-Proxy": value]
            #expect(throws: HTTPError.self) { try headers.validate() }
        }
        let fine: HTTPHeaders = ["X-Proxy": "tab\tand ümlaut", "Authorization": "Bearer abc.def"]
        #expect(throws: Never.self) { try fine.validate() }
    }

    @Test func aNameMustBeAToken() {
        for name in ["", "X Proxy", "X:Proxy", "Ünicode", "X\r\n"] {
            #expect(!HTTPHeaders.isToken(name))
        }
        #expect(HTTPHeaders.isToken("OpenAI-Organization") && HTTPHeaders.isToken("x-custom_thing.v2"))
    }

    @Test func theDescriptionNamesFieldsButNeverTheirValues() {
        let headers: HTTPHeaders = ["Authorization": "Bearer sk-secret"]
        #expect(!"\(headers)".contains("sk-secret") && "\(headers)".contains("authorization"))
    }
}
