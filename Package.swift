// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "GateKernels",
    products: [
        .library(name: "GateKernels", targets: ["GateKernels"]),
        .library(name: "CKernels", targets: ["CKernels"]),
        .executable(name: "gatekernels", targets: ["gatekernels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // The kernels: portable C, one algorithm per kernel instantiated per ISA with target
        // attributes, dispatched at run time. No unsafe flags: a binary built anywhere runs anywhere.
        .target(
            name: "CKernels",
            path: "CKernels",
            exclude: ["eval", "Makefile", "tests"],
            sources: ["src"],
            publicHeadersPath: "include",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        // Exhaustive and sampled error statistics against a double-precision reference.
        .target(
            name: "CKernelsEval",
            path: "CKernels/eval",
            publicHeadersPath: "include",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        .target(name: "GateKernels", dependencies: ["CKernels"]),
        .executableTarget(
            name: "gatekernels",
            dependencies: [
                "GateKernels", "CKernels", "CKernelsEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "GateKernelsTests", dependencies: ["GateKernels", "CKernels", "CKernelsEval"]),
    ]
)
