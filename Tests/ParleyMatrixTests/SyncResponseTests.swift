import ParleyCore
import Foundation
@testable import ParleyMatrix
import Testing

/// Decoding `/sync` as Synapse sends it, with events Parley does not know and events that are
/// broken: the batch survives, the broken events are counted and skipped.
@Suite struct SyncResponseTests {
    static let sync = #"""
    {
      "next_batch": "s72595_4483_1934",
      "account_data": {"events": []},
      "presence": {"events": [{"type": "m.presence", "sender": "@x:localhost", "content": {}}]},
      "device_one_time_keys_count": {"signed_curve25519": 0},
      "rooms": {
        "join": {
          "!abc": {
            "summary": {"m.joined_member_count": 2},
            "state": {"events": [
              {"type": "m.room.member", "state_key": "@alice:localhost", "sender": "@alice:localhost", "event_id": "$m1",
               "origin_server_ts": 1, "content": {"membership": "join", "displayname": "Alice"}}
            ]},
            "timeline": {
              "limited": true,
              "prev_batch": "t34-23535_0_0",
              "events": [
                {"type": "m.room.message", "sender": "@alice:localhost", "event_id": "$e1", "origin_server_ts": 1732870000000,
                 "content": {"msgtype": "m.text", "body": "parley: hello", "m.mentions": {"user_ids": ["@parleybot:localhost"]}}},
                {"type": "m.room.message", "sender": "@alice:localhost", "event_id": "$e2", "origin_server_ts": 1732870000001,
                 "content": {"msgtype": "m.text", "body": "in a thread",
                             "m.relates_to": {"rel_type": "m.thread", "event_id": "$root", "m.in_reply_to": {"event_id": "$e1"}}}},
                {"type": "org.example.custom", "sender": "@bot:localhost", "event_id": "$e3", "content": {"anything": [1, 2, {"x": null}]}},
                {"type": "m.room.message", "event_id": "$broken1", "content": {"body": "no sender"}},
                {"sender": "@alice:localhost", "event_id": "$broken2", "content": {}},
                "not even an object",
                {"type": "m.room.message", "sender": "@parleybot:localhost", "event_id": "$e4", "content": "a string content",
                 "unsigned": {"transaction_id": "parley-7"}},
                {"type": "m.room.message", "sender": "@alice:localhost", "event_id": "$e5", "origin_server_ts": "yesterday",
                 "content": {"msgtype": "m.text", "body": "* fixed", "m.relates_to": {"rel_type": "m.replace", "event_id": "$e1"}}}
              ]
            },
            "ephemeral": {"events": []},
            "unread_notifications": {}
          }
        },
        "invite": {
          "!inv": {"invite_state": {"events": [
            {"type": "m.room.member", "state_key": "@parleybot:localhost", "sender": "@alice:localhost", "content": {"membership": "invite"}},
            {"type": "m.room.encryption", "state_key": "", "sender": "@alice:localhost", "content": {"algorithm": "m.megolm.v1.aes-sha2"}}
          ]}}
        },
        "leave": {"!gone": {"timeline": {"events": []}}}
      }
    }
    """#

    @Test func decodesWhatParleyUsesAndSkipsWhatIsBroken() throws {
        let response = try JSONDecoder().decode(SyncResponse.self, from: Data(Self.sync.utf8))
        #expect(response.nextBatch == "s72595_4483_1934")
        #expect(response.malformedEvents == 3)
        let room = try #require(response.joined["!abc"])
        #expect(room.limited && room.previousBatch == "t34-23535_0_0")
        #expect(room.timeline.map(\.eventID) == ["$e1", "$e2", "$e3", "$e4", "$e5"])
        #expect(room.timeline[0].messageType == "m.text" && room.timeline[0].body == "parley: hello")
        #expect(room.timeline[0].mentionedUsers == ["@parleybot:localhost"])
        #expect(room.timeline[1].threadRoot == "$root" && room.timeline[1].inReplyTo == "$e1")
        #expect(room.timeline[2].messageType == nil)
        #expect(room.timeline[3].transactionID == "parley-7" && room.timeline[3].body == nil)
        #expect(room.timeline[4].isEdit && room.timeline[4].originServerTS == nil)
        #expect(room.state.first?.content["displayname"]?.string == "Alice")
        #expect(response.invited["!inv"]?.map(\.type) == ["m.room.member", "m.room.encryption"])
        #expect(response.invited["!inv"]?.first?.eventID == nil)
        #expect(response.left == ["!gone"])
    }

    @Test func theDevicesKeyCountsAreReadAndOddOnesIgnored() throws {
        let counts = try JSONDecoder().decode(SyncResponse.self, from: Data(Self.sync.utf8))
        #expect(counts.oneTimeKeyCounts == ["signed_curve25519": 0] && counts.unusedFallbackKeyTypes == nil)
        let odd = try JSONDecoder().decode(SyncResponse.self, from: Data(#"""
            {"next_batch": "n", "device_one_time_keys_count": {"signed_curve25519": "many"},
             "device_unused_fallback_key_types": "signed_curve25519"}
            """#.utf8))
        #expect(odd.oneTimeKeyCounts == nil && odd.unusedFallbackKeyTypes == nil && odd.nextBatch == "n")
        let fallback = try JSONDecoder().decode(SyncResponse.self, from: Data(#"{"next_batch": "n", "device_unused_fallback_key_types": ["signed_curve25519"]}"#.utf8))
        #expect(fallback.unusedFallbackKeyTypes == ["signed_curve25519"])
    }

    @Test func anIdleSyncWithoutRoomsDecodes() throws {
        let response = try JSONDecoder().decode(SyncResponse.self, from: Data(#"{"next_batch": "s1"}"#.utf8))
        #expect(response.nextBatch == "s1" && response.joined.isEmpty && response.invited.isEmpty && response.malformedEvents == 0)
    }

    @Test(arguments: [#"{}"#, #"{"next_batch": 5}"#, #"[1,2]"#, #"not json"#, ""])
    func aResponseWithoutItsBatchTokenIsAnError(_ text: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SyncResponse.self, from: Data(text.utf8)) }
    }
}
