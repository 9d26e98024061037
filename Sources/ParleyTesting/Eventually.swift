/// Thrown when something a test waits for does not happen in time.
public struct TimedOut: Error, CustomStringConvertible {
    public var what: String
    public var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds, failing after `timeout`. For awaiting effects in tests,
/// never for measuring time. The default is generous: on two cores the suites run side by side,
/// and a slow neighbour must not turn a wait into a failure (a wait that holds costs nothing).
public func eventually<T>(
    _ what: String,
    timeout: Duration = .seconds(30),
    _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = try await condition() { return value }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut(what: what)
}
