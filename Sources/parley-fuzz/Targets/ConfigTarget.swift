import ParleyDaemon

extension FuzzTarget {
    /// A config file (any bytes: YAML, anchors, odd types, wrong keys) through the loader.
    /// Property: it is accepted, or refused with an error that names the file.
    static let config = FuzzTarget(name: "config", summary: "a config file → YAML loader and validation") { data in
        let text = String(decoding: data, as: UTF8.self)
        do {
            _ = try ConfigLoader.parse(text, file: "fuzz.yaml", environment: ["PARLEY_FUZZ_SECRET": "x"])
        } catch {
            expect("\(error)".contains("fuzz.yaml"), "a config error that does not name the file: \(error)")
        }
    }
}
