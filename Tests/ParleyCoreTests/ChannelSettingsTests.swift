@testable import ParleyCore
import Foundation
import Testing

@Suite struct ChannelSettingsTests {
    static let base = ChannelPolicy(backend: "local")

    @Test func everySettingAppliesWhatItSaysAndShowsItBack() throws {
        let cases: [(ChannelSetting, String, String)] = [
            (.systemPrompt, "Be brief.", "Be brief."), (.backend, "hosted", "hosted"), (.model, "m-1", "m-1"),
            (.trigger, "mention, prefix", "mention,prefix"), (.scope, "user", "user"), (.temperature, "0.3", "0.3"),
            (.maxTokens, "64", "64"), (.recordChatter, "on", "on"), (.language, "zh-CN", "zh-Hans"),
        ]
        #expect(Set(cases.map(\.0)) == Set(ChannelSetting.allCases))
        for (key, value, shown) in cases {
            var settings = ChannelSettings()
            try settings.set(key, to: value, checkedAgainst: Self.base)
            #expect(key.value(in: settings.applied(to: Self.base)) == shown, "\(key)")
            #expect(key.value(in: Self.base) != shown, "\(key) must change something")
        }
    }

    @Test func invalidValuesAreRefusedAndNothingIsKept() {
        var settings = ChannelSettings()
        for (key, value) in [(ChannelSetting.temperature, "6"), (.maxTokens, "0"), (.trigger, "sometimes"), (.scope, "galaxy"),
                             (.recordChatter, "maybe"), (.language, "tlh"), (.systemPrompt, "  ")] {
            #expect(throws: ChannelSettingError.invalidValue(key, value: value.trimmingCharacters(in: .whitespaces))) {
                try settings.set(key, to: value, checkedAgainst: Self.base)
            }
        }
        #expect(settings.isEmpty)
    }

    @Test func overridesApplyToTheirChannelOnly() throws {
        var policies = ChannelPolicies(fallback: Self.base)
        var settings = ChannelSettings()
        try settings.set(.systemPrompt, to: "Here only.", checkedAgainst: Self.base)
        let here = ChannelKey(network: "n", channel: "#here")
        policies.overrides[here] = settings
        #expect(policies.policy(for: here, isDirect: false).systemPrompt == "Here only.")
        #expect(policies.configuredPolicy(for: here, isDirect: false).systemPrompt == Self.base.systemPrompt)
        #expect(policies.policy(for: ChannelKey(network: "n", channel: "#there"), isDirect: false).systemPrompt == Self.base.systemPrompt)
    }

    @Test func savedStateFromBeforeSettingsExistedStillReads() throws {
        let old = #"{"ignoredAdded":["x"],"ignoredRemoved":[],"paused":[]}"#
        let state = try JSONDecoder().decode(AdminState.self, from: Data(old.utf8))
        #expect(state == AdminState(ignoredAdded: ["x"]))
        var withSettings = state
        withSettings.settings[ChannelKey(network: "n", channel: "#c")] = ChannelSettings([.temperature: "0.5"])
        let again = try JSONDecoder().decode(AdminState.self, from: JSONEncoder().encode(withSettings))
        #expect(again == withSettings)
    }
}
