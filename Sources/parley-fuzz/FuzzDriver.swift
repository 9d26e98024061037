/// The target libFuzzer's callback runs: a C callback captures nothing, so it reads this.
enum FuzzDriver {
    /// Set once in main before the first input; libFuzzer calls the target from that thread only.
    nonisolated(unsafe) static var target: FuzzTarget!
}
