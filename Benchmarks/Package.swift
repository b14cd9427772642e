// swift-tools-version: 6.1
// Speed benchmarks of NOLAKit, in release builds:
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark   # ordo-one's
//     cd Benchmarks && swift run -c release step-times     # training steps beside PyTorch's
//     cd Benchmarks && swift run -c release gpt-speed      # GPT training steps beside PyTorch's and sgemm
//     cd Benchmarks && swift run -c release decode-speed   # E2E beam search, one sentence at a time vs batched
//
// The first uses ordo-one's Benchmark package (formerly package-benchmark); the second is a plain
// executable that runs pytorch/steps.py in the same run (see pytorch/README.md).
//
// A separate package so that the main package's build and tests never compile the benchmark
// harness and its dependencies.

import PackageDescription

let package = Package(
    name: "NOLABenchmarks",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "step-times", targets: ["StepTimes"]),
        .executable(name: "gpt-speed", targets: ["GPTSpeed"]),
        .executable(name: "decode-speed", targets: ["DecodeSpeed"]),
    ],
    dependencies: [
        .package(name: "NOLALessons", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .executableTarget(
            name: "StepTimes",
            dependencies: [
                .product(name: "NOLAKit", package: "NOLALessons"),
                .product(name: "LessonKit", package: "NOLALessons"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Not directly under Benchmarks/: the benchmark plugin takes every executable target
            // there for one of its own.
            path: "Tools/StepTimes"
        ),
        .executableTarget(
            name: "GPTSpeed",
            dependencies: [
                .product(name: "NOLAKit", package: "NOLALessons"),
                .product(name: "LessonKit", package: "NOLALessons"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/GPTSpeed"
        ),
        .executableTarget(
            name: "DecodeSpeed",
            dependencies: [
                .product(name: "NOLAKit", package: "NOLALessons"),
                .product(name: "LessonKit", package: "NOLALessons"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/DecodeSpeed"
        ),
        .executableTarget(
            name: "NOLABenchmarks",
            dependencies: [
                .product(name: "NOLAKit", package: "NOLALessons"),
                .product(name: "LessonKit", package: "NOLALessons"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "NOLABenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
