import ParleyCore
import Testing

@Suite struct AddressingTests {
    @Test(arguments: [
        ("parley: what is IRC?", Addressing.addressed(body: "what is IRC?")),
        ("Parley, hi", .addressed(body: "hi")),
        ("@parley: hi", .addressed(body: "hi")),
        ("PARLEY:hi", .addressed(body: "hi")),
        ("I asked parley yesterday", .mentioned),
        ("parleying is fun", .none),
        ("parley2: hi", .none),
        ("nobody here", .none),
    ])
    func detectsAddressAtStartAndNameAsWholeWord(text: String, expected: Addressing) {
        #expect(Addressing.detect(in: text, names: ["parley"]) == expected)
    }

    @Test func usesTheNetworksCaseFolding() {
        // RFC 1459 casemapping: [ ] \ are the upper case of { } |.
        let rfc1459: (String) -> String = { text in
            String(text.lowercased().map { character -> Character in
                switch character {
                case "[": "{"
                case "]": "}"
                case "\\": "|"
                default: character
                }
            })
        }
        #expect(Addressing.detect(in: "Bot[1]: hi", names: ["bot{1}"], fold: rfc1459) == .addressed(body: "hi"))
        #expect(Addressing.detect(in: "Bot[1]: hi", names: ["bot{1}"]) == .none)
    }

    @Test func bodyOfAnAddressedMessageOmitsTheAddress() {
        let message = InboundMessage(
            id: "1", channel: ChannelKey(network: "n", channel: "#c"), sender: Sender(id: "a", displayName: "a"),
            text: "parley: hello there", addressing: .addressed(body: "hello there"))
        #expect(message.body == "hello there")
    }
}
