@testable import ParleyCore
import ParleyTesting
import Testing

/// Issue 20: a dead backend is asked once per cooldown, not once per message.
@Suite struct BackendHealthTests {
    struct Down: Error {}

    @Test func aFailedBackendRestsThenIsTriedOnceAndTheCooldownDoubles() {
        var health = BackendHealth()
        let start = Duration.seconds(100)
        var answers: [Bool] = []
        answers.append(health.take("dead", at: start))
        health.failed("dead", at: start)
        answers.append(health.take("dead", at: start + .seconds(29)))
        answers.append(health.take("dead", at: start + .seconds(30)))
        answers.append(health.take("dead", at: start + .seconds(31)))
        #expect(answers == [true, false, true, false], "resting; once past the cooldown; and only once while that try is out")
        let until = health.failed("dead", at: start + .seconds(31))
        #expect(until == start + .seconds(91), "twice the cooldown after two failures")
        health.succeeded("dead")
        let back = health.take("dead", at: start + .seconds(32))
        let other = health.take("other", at: start)
        #expect(back && other, "back after a success; one backend's failure is its own")
    }

    @Test func theCooldownHasACeiling() {
        var health = BackendHealth()
        var now = Duration.zero
        for _ in 0..<12 { now = health.failed("dead", at: now) }
        let last = health.failed("dead", at: now)
        #expect(last == now + .seconds(300))
    }

    // Must show (issue 20): a dead primary is asked once per cooldown; the fallback answers every
    // message meanwhile without waiting for it.
    @Test func aDeadPrimaryIsAskedOncePerCooldownAndTheFallbackAnswersMeanwhile() async throws {
        let dead = ScriptedBackend(name: "dead") { _ in throw Down() }
        let spare = ScriptedBackend(name: "spare", replying: "from the spare")
        let clock = TestClock()
        let tester = BotTester(
            policy: ChannelPolicy(backend: "dead", fallbacks: ["spare"]), backends: [dead, spare], clock: clock)
        for index in 0..<5 { #expect(try await tester.reply(to: "parley: question \(index)") == "from the spare") }
        #expect(dead.requests.count == 1 && spare.requests.count == 5)
        clock.advance(by: .seconds(30))
        #expect(try await tester.reply(to: "parley: after the cooldown") == "from the spare")
        #expect(dead.requests.count == 2, "tried again once the cooldown passed")
        #expect(try await tester.reply(to: "parley: and again") == "from the spare")
        #expect(dead.requests.count == 2)
        await tester.stop()
    }

    @Test func theLastBackendOfAChainIsAskedEvenWhileItRests() async throws {
        let dead = ScriptedBackend(name: "dead") { _ in throw Down() }
        let tester = BotTester(policy: ChannelPolicy(backend: "dead"), backends: [dead])
        let noAnswer = BotSentence.noAnswer.text(in: .english)
        #expect(try await tester.reply(to: "parley: one") == noAnswer)
        #expect(try await tester.reply(to: "parley: two") == noAnswer)
        #expect(dead.requests.count == 2, "with nothing else to ask, waiting would answer nobody")
        await tester.stop()
    }
}
