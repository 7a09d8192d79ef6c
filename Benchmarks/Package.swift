// swift-tools-version: 6.2
// Microbenchmarks of GateKernels with ordo-one/package-benchmark, in a package of their own so that
// the library gains no dependency and the root package's `swift test` does not build them.
//   swift package benchmark                                  (from this directory)
//   swift package benchmark baseline update main
//   swift package benchmark baseline compare main            (fails on a regression past the thresholds)
// See docs/benchmarks.md.
import PackageDescription

let package = Package(
    name: "GateKernelsBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "GateKernels", path: ".."),
        // Without its default traits: they pull a runtime interposer package this mirror lacks.
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: []),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "GateKernels", package: "GateKernels"),
                // the kernel registry and the timing engine `gatekernels` uses
                .product(name: "GateKernelsEval", package: "GateKernels"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
