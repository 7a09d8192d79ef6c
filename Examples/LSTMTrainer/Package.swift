// swift-tools-version: 6.2
import PackageDescription

// A trainer that links GateKernels the way a user would: by package dependency (here by path, so
// the library itself gains no dependency). GEMMs come from OpenBLAS (Debian: libopenblas-dev).
let package = Package(
    name: "LSTMTrainer",
    dependencies: [
        .package(name: "GateKernels", path: "../.."),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "TrainerCore", dependencies: [
            "COpenBLAS", .product(name: "GateKernels", package: "GateKernels"),
        ]),
        .executableTarget(name: "lstm-trainer", dependencies: [
            "TrainerCore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "TrainerCoreTests", dependencies: ["TrainerCore"]),
    ]
)
