// swift-tools-version: 6.1
// Speed benchmarks of NOLAKit with ordo-one's Benchmark package (formerly package-benchmark), in
// release builds:
//
//     cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
//
// A separate package so that the main package's build and tests never compile the benchmark
// harness and its dependencies.

import PackageDescription

let package = Package(
    name: "NOLABenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "NOLALessons", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "NOLABenchmarks",
            dependencies: [
                .product(name: "NOLAKit", package: "NOLALessons"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "NOLABenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
