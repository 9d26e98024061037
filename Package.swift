// swift-tools-version:6.1
import PackageDescription

let upcoming: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "parley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .executable(name: "parley-moderation", targets: ["parley-moderation"]),
        .library(name: "ParleyCore", targets: ["ParleyCore"]),
        // For programs that embed Parley with Swift plugins of their own (plugins/swift-example).
        .library(name: "ParleyDaemon", targets: ["ParleyDaemon"]),
        .library(name: "ParleyTesting", targets: ["ParleyTesting"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox.git", from: "0.27.1"),
    ],
    targets: [
        .target(
            name: "ParleyCore",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: upcoming
        ),
        .target(
            name: "ParleyStore",
            dependencies: ["ParleyCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: upcoming
        ),
        // HTTP for Matrix and the model servers: the system's libcurl.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "CCurlShims", dependencies: ["CCurl"]),
        .target(name: "ParleyHTTP", dependencies: ["ParleyCore", "CCurl", "CCurlShims"], swiftSettings: upcoming),
        .target(
            name: "ParleyPlugins",
            dependencies: ["ParleyCore", .product(name: "Logging", package: "swift-log"), .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: upcoming),
        .target(name: "CParleyKernels"),
        .target(
            name: "ParleyInference",
            dependencies: ["CParleyKernels"],
            swiftSettings: upcoming
        ),
        .target(
            name: "ParleyBackends",
            dependencies: ["ParleyCore", "ParleyHTTP", "ParleyInference", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .target(name: "COpenSSLShims", dependencies: ["COpenSSL"]),
        .target(
            name: "ParleyIRC",
            dependencies: [
                "ParleyCore", "COpenSSL", "COpenSSLShims", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        // Olm and Megolm for encrypted rooms: the system's libolm (see the README's security notes).
        .systemLibrary(name: "COlm", pkgConfig: "olm", providers: [.apt(["libolm-dev"])]),
        .target(
            name: "ParleyMatrix",
            dependencies: [
                "ParleyCore", "ParleyHTTP", "COlm", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: upcoming
        ),
        .target(
            name: "ParleyTesting",
            dependencies: ["ParleyCore", "ParleyPlugins", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming
        ),
        .target(
            name: "ParleyDaemon",
            dependencies: [
                "ParleyCore", "ParleyStore", "ParleyHTTP", "ParleyPlugins", "ParleyBackends", "ParleyInference", "ParleyIRC", "ParleyMatrix",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            swiftSettings: upcoming
        ),
        // A plugin written in Swift, shipped in plugins/moderation: its own program, like any
        // plugin, built with the package.
        .executableTarget(name: "parley-moderation", dependencies: ["ParleyCore"], swiftSettings: upcoming),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyDaemon", "ParleyInference", "ParleyPlugins", "ParleyCore", "ParleyTesting", "ParleyHTTP", "ParleyStore", "ParleyMatrix",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: upcoming
        ),
        // Fuzz targets for libFuzzer (scripts/fuzz); in an ordinary build it runs given inputs once.
        .executableTarget(
            name: "parley-fuzz",
            dependencies: [
                "ParleyCore", "ParleyIRC", "ParleyMatrix", "ParleyBackends", "ParleyHTTP", "ParleyInference", "CParleyKernels",
                "ParleyDaemon", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming
        ),
        .testTarget(
            name: "ParleyPluginsTests", dependencies: ["ParleyPlugins", "ParleyTesting", .product(name: "Logging", package: "swift-log")],
            exclude: ["Fixtures"], swiftSettings: upcoming),
        .testTarget(name: "ParleyHTTPTests", dependencies: ["ParleyHTTP", "ParleyTesting"], swiftSettings: upcoming),
        .testTarget(name: "ParleyCoreTests", dependencies: ["ParleyCore", "ParleyTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "ParleyInferenceTests", dependencies: ["ParleyInference", "CParleyKernels"], exclude: ["Fixtures"],
            swiftSettings: upcoming),
        .testTarget(
            name: "ParleyBackendsTests", dependencies: ["ParleyBackends", "ParleyHTTP", "ParleyTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming),
        .testTarget(
            name: "ParleyBackendsIntegrationTests",
            dependencies: ["ParleyBackends", "ParleyDaemon", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming),
        .testTarget(
            name: "ParleyMatrixTests", dependencies: ["ParleyMatrix", "ParleyHTTP", "ParleyTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: upcoming),
        // Everything against real servers (inspircd + atheme, Synapse; scripts/test starts them),
        // one network at a time and several at once.
        .testTarget(
            name: "ParleyIntegrationTests",
            dependencies: [
                "ParleyIRC", "ParleyMatrix", "ParleyTesting", "ParleyDaemon", "ParleyCore", "ParleyStore", "ParleyPlugins", "ParleyHTTP",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming),
        .testTarget(name: "ParleyIRCTests", dependencies: ["ParleyIRC", "ParleyTesting"], swiftSettings: upcoming),
        .testTarget(name: "ParleyStoreTests", dependencies: ["ParleyStore", "ParleyTesting"], swiftSettings: upcoming),
        .testTarget(
            name: "ParleyDaemonTests",
            dependencies: [
                "ParleyDaemon", "ParleyTesting", "ParleyBackends", "ParleyHTTP", "ParleyIRC", "ParleyCore",
                .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: upcoming),
    ]
)
