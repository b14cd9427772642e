// swift-tools-version: 6.1
// NOLA Lessons in Swift — see README.md for the two commands that build, run and test everything.

import PackageDescription

/// The numeric targets are compiled optimized in every configuration, so that a student's plain
/// `swift run lessonNN` (a debug build) trains as fast as a release build. Only `-O` is added for
/// debug: `-wmo` there would break SwiftPM's incremental build.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

/// The lessons in order; each is an executable target `Lessons/lessonNN/main.swift`. A new lesson
/// is a new folder and a new name here.
let lessons = ["lesson01", "lesson02", "lesson03", "lesson04", "lesson05", "lesson06", "lesson07", "lesson08", "lesson09", "lesson10", "lesson11", "lesson12", "lesson13", "lesson14", "lesson15", "lesson16"]

let package = Package(
    name: "NOLALessons",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "NOLAKit", targets: ["NOLAKit"]),
        .library(name: "LessonKit", targets: ["LessonKit"]),
        .executable(name: "e2e-score", targets: ["E2EScore"]),
    ] + lessons.map { Product.executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // `swift package generate-documentation --target NOLAKit`: the DocC catalogs in
        // Sources/NOLAKit/NOLAKit.docc and Sources/LessonKit/LessonKit.docc (README, "Documentation").
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS: CBLAS plus the few LAPACK routines we call. Found by pkg-config; SwiftPM prints
        // the apt hint below when it is missing.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // zlib, only to read MNIST's .gz files.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Philox float fills compiled for AVX2 and for AVX-512, chosen at run time when the CPU
        // has them (the rest of the package stays at the x86-64 baseline, so it runs on any
        // x86-64 CPU).
        .target(
            name: "CPhiloxKernels",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // What Swift cannot reach by itself: cpuid, the floating-point control register (flush to
        // zero), and OpenBLAS's kernel selection and worker threads (looked up at run time).
        .target(
            name: "CMachine",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // exp and GELU compiled for AVX2 and FMA, chosen at run time as the Philox kernels are.
        .target(
            name: "CMathAVX2",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]
        ),
        // gnuplot-iostream (Debian's libgnuplot-iostream-dev, a C++ header over Boost.Iostreams)
        // behind a small C interface: one persistent gnuplot fed while a lesson runs, for the
        // live loss curve (--live) and figures drawn in the terminal (--show). Boost ships no
        // pkg-config file, so its two libraries are named here.
        .target(
            name: "CGnuplotStream",
            cxxSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))],
            linkerSettings: [.linkedLibrary("boost_iostreams"), .linkedLibrary("boost_filesystem")]
        ),
        // The mathematics: random streams, matrices, layers, adapters, quantization, data. No printing.
        .target(
            name: "NOLAKit",
            dependencies: ["COpenBLAS", "CZlib", "CPhiloxKernels", "CMachine", "CMathAVX2"],
            swiftSettings: optimizedInDebug
        ),
        // What makes a program a lesson: options, narration, tables, progress, gnuplot figures.
        .target(
            name: "LessonKit",
            dependencies: [
                "NOLAKit",
                "CGnuplotStream",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: optimizedInDebug
        ),
        // `swift run e2e-score HYPS REFS`: the E2E NLG Challenge's metrics for any system's outputs.
        .executableTarget(
            name: "E2EScore",
            dependencies: [
                "NOLAKit", "LessonKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "NOLAKitTests", dependencies: ["NOLAKit"]),
        // Also runs the built lessons and the Python reader against a catalogue of bad inputs.
        .testTarget(name: "LessonKitTests", dependencies: ["LessonKit", "NOLAKit", "CGnuplotStream"]),
    ] + lessons.map {
        // A lesson's committed results (lesson12's --full grid) are data, not sources.
        Target.executableTarget(name: $0, dependencies: ["NOLAKit", "LessonKit"], path: "Lessons/\($0)",
                                exclude: $0 == "lesson12" ? ["results"] : [])
    },
    cxxLanguageStandard: .cxx17
)
