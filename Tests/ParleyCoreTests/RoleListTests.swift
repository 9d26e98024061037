import ParleyCore
import Testing

@Suite struct RoleListTests {
    static let roles = RoleList([
        RoleList.Entry(network: "irc", account: "Root"),
        RoleList.Entry(network: "irc", account: "mod", role: .operator, channel: "#Help"),
        RoleList.Entry(network: "irc", account: "mod", role: .staff),
        RoleList.Entry(network: "irc", account: "local", role: .admin, channel: "#own"),
    ])

    static func person(_ account: String?) -> Sender {
        Sender(id: UserID(account ?? "anon"), displayName: account ?? "anon", account: account)
    }

    @Test func rolesHoldOnTheirNetworkAndInTheirChannelByAccount() {
        let help = ChannelKey(network: "irc", channel: "#help")
        #expect(Self.roles.roles(of: Self.person("root"), in: help) == [.admin], "accounts compare case-insensitively")
        #expect(Self.roles.roles(of: Self.person("mod"), in: help) == [.operator, .staff], "channel names too")
        #expect(Self.roles.roles(of: Self.person("mod"), in: ChannelKey(network: "irc", channel: "#other")) == [.staff])
        #expect(Self.roles.roles(of: Self.person("root"), in: ChannelKey(network: "matrix", channel: "#help")).isEmpty)
        #expect(Self.roles.roles(of: Self.person(nil), in: help).isEmpty, "no account, no role")
    }

    @Test func onlyNetworkWideAdminsAreAdminsOfTheNetwork() {
        #expect(Self.roles.contains(Self.person("root"), on: "irc"))
        #expect(!Self.roles.contains(Self.person("local"), on: "irc"), "an admin of one channel")
        #expect(Self.roles.roles(of: Self.person("local"), in: ChannelKey(network: "irc", channel: "#own")) == [.admin])
        #expect(!Self.roles.contains(Self.person("mod"), on: "irc"))
    }
}
