import ParleyCore
@testable import ParleyMatrix
import Testing

@Suite struct MatrixRoomDirectoryTests {
    func member(_ user: MatrixUserID, _ membership: String, name: String? = nil) -> MatrixEvent {
        var content: [String: JSONValue] = ["membership": .string(membership)]
        if let name { content["displayname"] = .string(name) }
        return MatrixEvent(type: "m.room.member", eventID: MatrixEventID("$\(user)\(membership)"), sender: user, stateKey: user.rawValue, content: .object(content))
    }

    // Issue 11: what a reply could highlight is known from the room's members, not only from
    // those who spoke.
    @Test func membersAreTrackedByDisplayNameAndLocalPartUntilTheyLeave() {
        var rooms = MatrixRoomDirectory()
        rooms.apply(member("@anna:x", "join", name: "Anna K"), in: "!r")
        rooms.apply(member("@boris:x", "join"), in: "!r")
        rooms.apply(member("@chloe:x", "invite"), in: "!r")
        #expect(rooms.memberNames(in: "!r") == ["Anna K", "anna", "boris"])
        rooms.apply(member("@boris:x", "leave"), in: "!r")
        rooms.apply(member("@anna:x", "ban"), in: "!r")
        #expect(rooms.memberNames(in: "!r").isEmpty)
        #expect(rooms.memberNames(in: "!elsewhere").isEmpty)
    }

    @Test func joiningAndLeavingAreToldApartFromProfileChanges() {
        var rooms = MatrixRoomDirectory()
        let room: MatrixRoomID = "!r"
        #expect(rooms.membershipChange(member("@ann:x", "join"), in: room) == .joined)
        rooms.apply(member("@ann:x", "join"), in: room)
        #expect(rooms.membershipChange(member("@ann:x", "join", name: "Ann B."), in: room) == nil, "a profile change")
        #expect(rooms.membershipChange(member("@ann:x", "leave"), in: room) == .left)
        #expect(rooms.membershipChange(member("@bob:x", "leave"), in: room) == nil, "never seen joined")
        #expect(rooms.membershipChange(member("@bob:x", "invite"), in: room) == nil)
    }
}
