import CoreMetrics
import ParleyCore
public import Prometheus

/// swift-metrics into a Prometheus registry, with each Parley metric's help text and histogram
/// buckets from `ParleyMetric` (swift-prometheus' own factory writes no help, which `promtool
/// check metrics` rejects). A metric of another library gets a help line naming it.
struct PrometheusExport: MetricsFactory {
    let registry: PrometheusCollectorRegistry

    private static func help(_ label: String) -> String {
        ParleyMetric(rawValue: label)?.help ?? "Reported by a library through swift-metrics (\(label))."
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: Self.help(label))
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(name: label, labels: dimensions, help: Self.help(label))
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        registry.makeGauge(name: label, labels: dimensions, help: Self.help(label))
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        guard aggregate else { return registry.makeGauge(name: label, labels: dimensions, help: Self.help(label)) }
        let buckets = ParleyMetric(rawValue: label)?.buckets ?? [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
        return registry.makeValueHistogram(name: label, labels: dimensions, buckets: buckets, help: Self.help(label))
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        let buckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].map { .milliseconds(Int($0 * 1000)) }
        return registry.makeDurationHistogram(name: label, labels: dimensions, buckets: buckets, help: Self.help(label))
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// The process's registry, bootstrapped into swift-metrics on first use (a process has one
    /// metrics system; in-process tests share it).
    static var shared: PrometheusCollectorRegistry {
        bootstrapped.withLock { registry in
            if let registry { return registry }
            let made = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusExport(registry: made))
            registry = made
            return made
        }
    }

    private static let bootstrapped = Locked<PrometheusCollectorRegistry?>(nil)
}
