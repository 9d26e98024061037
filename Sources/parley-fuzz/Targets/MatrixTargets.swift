import Foundation
import ParleyCore
@testable import ParleyMatrix

extension FuzzTarget {
    /// A homeserver's `/sync` body (hostile JSON) through the decoder, the room directory, the
    /// inbound message reader, the Megolm and Olm decryption entry points and canonical JSON.
    /// Property: nobody's identity reaches the core with a control character in it.
    static let matrixSync = FuzzTarget(
        name: "matrix-sync", summary: "a /sync body → decoder, room directory, inbound messages, decryption",
        prepare: { _ = MatrixFuzzState.machine }
    ) { data in
        guard let sync = try? JSONDecoder().decode(SyncResponse.self, from: Data(data)) else { return }
        let machine = MatrixFuzzState.machine
        var rooms = MatrixRoomDirectory()
        let inbound = MatrixInbound(
            network: NetworkID("matrix"), botUser: MatrixUserID("@parley:localhost"), botDisplayName: "Parley", noticesFrom: [])
        for (room, joined) in sync.joined {
            for event in joined.state { rooms.apply(event, in: room) }
            for event in joined.timeline {
                _ = rooms.membershipChange(event, in: room)
                rooms.apply(event, in: room)
                if case .success(let message) = inbound.message(from: event, room: room, rooms: rooms) {
                    expect(
                        !message.sender.id.rawValue.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F },
                        "a sender with a control character: \(message.sender.id.rawValue.debugDescription)")
                }
                _ = inbound.revision(from: event, room: room, rooms: rooms)
                if event.type == "m.room.encrypted" { _ = try? machine.decrypt(event, in: room) }
                _ = try? CanonicalJSON.text(event.content)
            }
            _ = rooms.memberNames(in: room)
        }
        for event in sync.toDevice {
            _ = try? machine.receiveToDevice(sender: event.sender, content: event.content)
        }
    }

    /// A reply's Markdown (the model writes it) as the HTML body of a Matrix message. Property:
    /// the only markup in the output is the renderer's own (every `<` and `>` of the text escaped).
    static let markdownHTML = FuzzTarget(name: "markdown-html", summary: "model text → Matrix HTML") { data in
        let html = MarkdownHTML.render(String(decoding: data, as: UTF8.self))
        // By scalar, as an HTML parser reads it: a combining mark in the text would join the
        // renderer's own `>` into one Character.
        let text = html.replacing(MatrixFuzzState.ownMarkup.matchingSemantics(.unicodeScalar), with: "")
        expect(
            !text.unicodeScalars.contains("<") && !text.unicodeScalars.contains(">"),
            "markup from the text reached the HTML: \(html.debugDescription)")
    }
}

/// What the Matrix targets share across inputs.
enum MatrixFuzzState {
    /// One device for every input, as a running bot has (its sessions accumulate as the bot's do).
    /// `nonisolated(unsafe)`: libFuzzer calls the target from one thread only.
    nonisolated(unsafe) static let machine = try! CryptoMachine.create(user: MatrixUserID("@parley:localhost"), device: "FUZZ")

    /// The tags `MarkdownHTML` writes.
    nonisolated(unsafe) static let ownMarkup =
        /<\/?(p|br|ol|ul|li|blockquote|pre|strong|em|a|h[1-6])>|<\/code>|<code( class="language-[^"<>]*")?>|<a href="[^"<>]*">/
}
