import ParleyCore
@testable import ParleyIRC
import Testing

@Suite struct IRCModerationTests {
    static let mallory = Sender(id: "mallory", displayName: "mallory")

    @Test func kickBanAndQuietBecomeTheirIRCCommands() throws {
        func lines(_ kind: ModerationAction.Kind) throws -> [String] {
            try IRCModeration.commands(for: ModerationAction(kind: kind, target: Self.mallory, reason: "spam\r\nQUIT :x"), in: "#c")
                .map { try $0.serialized() }
        }
        #expect(try lines(.kick) == ["KICK #c mallory :spamQUIT :x"])
        #expect(try lines(.ban) == ["MODE #c +b mallory!*@*", "KICK #c mallory :spamQUIT :x"])
        #expect(try lines(.quiet) == ["MODE #c +q mallory!*@*"])
        #expect(try lines(.redact).isEmpty)
    }

    @Test func aTargetThatIsNotANickGetsNothing() {
        let odd = Sender(id: "x", displayName: "two words")
        #expect(IRCModeration.commands(for: ModerationAction(kind: .kick, target: odd, reason: "r"), in: "#c").isEmpty)
    }
}
