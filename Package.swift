// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "GateKernels",
    // Synchronization's Atomic (the parallel drivers' block counters) needs these on Apple systems.
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "GateKernels", targets: ["GateKernels"]),
        .library(name: "CKernels", targets: ["CKernels"]),
        // The error engine: sweep any sigmoid or tanh over every float and check it against the contract.
        .library(name: "GateKernelsEval", targets: ["GateKernelsEval"]),
        .library(name: "CKernelsEval", targets: ["CKernelsEval"]),
        .executable(name: "gatekernels", targets: ["gatekernels"]),
    ],
    traits: [
        .trait(name: "OpenMP", description: "Adds OpenMP parallel drivers (C: ckernels_omp.h; Swift: Parallelism.openMP). Needs Debian's libomp-dev."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation`: the DocC catalog (scripts/ci-docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The kernels: portable C, one algorithm per kernel instantiated per ISA with target
        // attributes, dispatched at run time. No unsafe flags: a binary built anywhere runs anywhere.
        .target(
            name: "CKernels",
            path: "CKernels",
            exclude: ["Makefile", "tests"],
            sources: ["src"],
            publicHeadersPath: "include",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        // Exhaustive and sampled error statistics against a double-precision reference; sweeps of
        // foreign code in a child process (isolate.c). Not part of the kernel library: a target of its own,
        // in its own top-level folder like every target.
        .target(
            name: "CKernelsEval",
            path: "CKernelsEval",
            publicHeadersPath: "include",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux]))]
        ),
        // OpenMP parallel drivers over the kernels. Only this target carries -fopenmp, and only with
        // the trait; Debian's clang runtime libomp (libomp5) is linked by soname, as its unversioned
        // symlink lives in an llvm-N directory. Without the trait it builds as serial drivers.
        .target(
            name: "CKernelsOpenMP",
            dependencies: ["CKernels"],
            path: "CKernelsOpenMP",
            cSettings: [.unsafeFlags(["-fopenmp"], .when(traits: ["OpenMP"]))],
            linkerSettings: [.linkedLibrary(":libomp.so.5", .when(platforms: [.linux], traits: ["OpenMP"]))]
        ),
        .target(name: "GateKernels", dependencies: [
            "CKernels", .target(name: "CKernelsOpenMP", condition: .when(traits: ["OpenMP"])),
        ]),
        // The Swift API of the error engine: sweeps of closures, C functions and plug-ins, reports and
        // the contract's verdict per tier; the kernel registry (Kernels.swift) and the half-format sweeps.
        .target(name: "GateKernelsEval", dependencies: ["GateKernels", "CKernels", "CKernelsEval"],
                linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // Peers for `gatekernels bench` and `accuracy --peers`: libm's scalar loops, and SLEEF,
        // XNNPACK and libmvec opened at run time when installed (nothing depends on them at build time).
        .target(
            name: "CPeers",
            path: "Benchmarks/peers",
            exclude: ["bench_peers.c", "sleef_peers.c", "peers.h"],
            sources: ["cpeers.c"],
            publicHeadersPath: "include",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux])), .linkedLibrary("dl", .when(platforms: [.linux]))]
        ),
        // The command-line tool; its folder is not named after the product, so that it never differs
        // from Sources/GateKernels only in case (one folder on macOS and Windows).
        .executableTarget(
            name: "gatekernels",
            dependencies: [
                "GateKernels", "CKernels", "CKernelsEval", "GateKernelsEval", "CPeers",
                .target(name: "CKernelsOpenMP", condition: .when(traits: ["OpenMP"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/GateKernelsCLI"
        ),
        .testTarget(name: "GateKernelsTests", dependencies: [
            "GateKernels", "CKernels", "CKernelsEval", "GateKernelsEval",
            .target(name: "CKernelsOpenMP", condition: .when(traits: ["OpenMP"])),
        ]),
    ]
)
