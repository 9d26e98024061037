// swift-tools-version:6.1
// A program that embeds Parley with a Swift plugin of its own: the daemon as a library, the
// plugin in the same process. Built by Parley's test command.
import PackageDescription

let package = Package(
    name: "dice-bot",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "parley", path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "DiceBot",
            dependencies: [
                .product(name: "ParleyCore", package: "parley"),
                .product(name: "ParleyDaemon", package: "parley"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ]
)
