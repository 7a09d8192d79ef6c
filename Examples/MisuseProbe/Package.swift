// swift-tools-version: 6.2
// A dependent that misuses the API on purpose: scripts/ci-release-messages.sh builds it with
// `-c release` (the library's checks are then inlined into this -O module) and checks that every
// run prints the library's message with both sizes.
import PackageDescription

let package = Package(
    name: "MisuseProbe",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "GateKernels", path: "../..")],
    targets: [
        .executableTarget(name: "MisuseProbe", dependencies: [.product(name: "GateKernels", package: "GateKernels")]),
    ]
)
