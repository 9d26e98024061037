@testable import ParleyMatrix
import ParleyCore
import Testing

@Suite struct CanonicalJSONTests {
    @Test func keysAreInCodePointOrderWithoutWhitespaceAtEveryDepth() throws {
        let value: JSONValue = .object([
            "one": .number(1), "two": .string("Two"), "B": .null,
            "nested": .object(["b": .array([.bool(true), .number(-3)]), "a": .string("x"), "é": .number(0), "z": .number(2)]),
        ])
        #expect(try CanonicalJSON.text(value) == #"{"B":null,"nested":{"a":"x","b":[true,-3],"z":2,"é":0},"one":1,"two":"Two"}"#)
    }

    @Test func stringsKeepUnicodeRawAndEscapeOnlyWhatJSONRequires() throws {
        let value: JSONValue = .object(["a": .string("日本語 \"quoted\" back\\slash /slash\n\t\u{01}\u{1F}")])
        #expect(try CanonicalJSON.text(value) == #"{"a":"日本語 \"quoted\" back\\slash /slash\n\t\u0001\u001f"}"#)
    }

    @Test func onlyIntegersThatFitAreCarried() throws {
        #expect(try CanonicalJSON.text(.number(9_007_199_254_740_991)) == "9007199254740991")
        #expect(throws: CanonicalJSON.Refusal.self) { try CanonicalJSON.text(.number(1.5)) }
        #expect(throws: CanonicalJSON.Refusal.self) { try CanonicalJSON.text(.array([.number(9_007_199_254_740_993)])) }
        #expect(throws: CanonicalJSON.Refusal.self) { try CanonicalJSON.text(.number(.infinity)) }
    }
}
