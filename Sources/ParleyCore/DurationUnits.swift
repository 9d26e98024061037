/// A `Duration` as the numbers logs, protocols and C APIs want.
extension Duration {
    /// In seconds, with the fraction.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// In whole milliseconds, rounded toward zero.
    public var inMilliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
