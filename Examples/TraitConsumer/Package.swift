// swift-tools-version: 6.2
// A dependent that turns on GateKernels' `OpenMP` trait, whose target carries -fopenmp (an unsafe
// flag) behind the trait; with tools 6.2 SwiftPM builds it from a versioned dependency too.
//
// By default GateKernels is taken by path (this repository). With GATEKERNELS_URL set to a git URL
// whose tags are versions, it is taken by version, as a published release would be:
//   GATEKERNELS_URL=file:///tmp/gatekernels.git swift build      (scripts/ci-bench.sh does this)
import Foundation
import PackageDescription

let gateKernels: Package.Dependency =
    if let url = ProcessInfo.processInfo.environment["GATEKERNELS_URL"] {
        .package(url: url, from: "0.0.1", traits: ["OpenMP"])
    } else {
        .package(name: "GateKernels", path: "../..", traits: ["OpenMP"])
    }

let package = Package(
    name: "TraitConsumer",
    dependencies: [gateKernels],
    targets: [
        .executableTarget(name: "TraitConsumer", dependencies: [.product(name: "GateKernels", package: "GateKernels")]),
    ]
)
