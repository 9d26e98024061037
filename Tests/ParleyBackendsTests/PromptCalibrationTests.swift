@testable import ParleyBackends
import Testing

@Suite struct PromptCalibrationTests {
    @Test func aServerThatCountsMoreMakesTheScaleGrowAtOnceAndSaysSoOnce() {
        var calibration = PromptCalibration()
        #expect(calibration.observe(estimated: 1000, reported: 2500) == .underestimated(scale: 2.5))
        #expect(calibration.scale == 2.5)
        #expect(calibration.observe(estimated: 1000, reported: 3000) == nil, "said once")
        #expect(calibration.scale == 3.0, "a larger count is taken at once")
        _ = calibration.observe(estimated: 1000, reported: 2000)
        #expect(calibration.scale > 2.0 && calibration.scale < 3.0, "a smaller one moves it part of the way")
    }

    @Test func aGenerousEstimateLowersTheScaleWithinBounds() {
        var calibration = PromptCalibration()
        #expect(calibration.observe(estimated: 1000, reported: 550) == nil)
        #expect(calibration.scale == 0.6, "never below the floor")
    }

    @Test func aCutPromptIsReportedOnceAndNotLearntFrom() {
        var calibration = PromptCalibration()
        #expect(calibration.observe(estimated: 6000, reported: 2048) == .truncated(reported: 2048, estimated: 6000))
        #expect(calibration.observe(estimated: 7000, reported: 2048) == nil)
        #expect(calibration.scale == 1 && calibration.reports == 0)
    }

    @Test func shortPromptsSayNothing() {
        var calibration = PromptCalibration()
        #expect(calibration.observe(estimated: 50, reported: 500) == nil)
        #expect(calibration.observe(estimated: 500, reported: 0) == nil)
        #expect(calibration.scale == 1)
    }
}
