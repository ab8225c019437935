// swift-tools-version:6.0
import PackageDescription

let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// A shipped binary's C runtime floor (Sources/CRuntimeFloor explains it): the references that
// the statically linked Swift runtime makes to symbol versions newer than AWS Lambda's
// provided.al2023 has go to wrappers that call the older versions.
let runtimeFloorLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-Xlinker", "--wrap=hypot",
            "-Xlinker", "--wrap=hypotf",
            "-Xlinker", "--wrap=_ZNSt18condition_variable4waitERSt11unique_lockISt5mutexE",
        ],
        .when(platforms: [.linux])
    )
]

let package = Package(
    name: "tome-pool",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TOMEClient", targets: ["TOMEClient"]),
        .library(name: "TOMESimulator", targets: ["TOMESimulator"]),
        .executable(name: "tome-simulator", targets: ["tome-simulator"]),
        .executable(name: "tome-prefetch", targets: ["tome-prefetch"]),
        .library(name: "TokenPool", targets: ["TokenPool"]),
        .executable(name: "card-app", targets: ["card-app"]),
        .library(name: "LambdaRuntime", targets: ["LambdaRuntime"]),
        .library(name: "LambdaRuntimeEmulator", targets: ["LambdaRuntimeEmulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // Already resolved through Hummingbird; card-app's request read timeout names its HTTP part types.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Prometheus text for the card app's /metrics, fed by swift-metrics (Hummingbird's and ours).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // SHA-256 of the card app's client keys (already in the graph through the TLS stack).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        // Reading a program's environment into validated settings, for every executable.
        .target(
            name: "ProcessConfiguration",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The wrappers of runtimeFloorLinkerSettings, for binaries that run on an older glibc.
        .target(
            name: "CRuntimeFloor",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux])), .linkedLibrary("stdc++", .when(platforms: [.linux]))]
        ),
        // Retry with jittered backoff, for TOME calls and database transactions alike.
        .target(name: "Resilience", swiftSettings: strictSettings),
        // The v1 wire contract: the only code the simulator shares with the client.
        .target(name: "TOMEWire", swiftSettings: strictSettings),
        .target(
            name: "TOMEClient",
            dependencies: [
                "ProcessConfiguration",
                "Resilience",
                "TOMEWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "TOMESimulator",
            dependencies: [
                "TOMEWire",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tome-simulator",
            dependencies: [
                "ProcessConfiguration",
                "TOMESimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The schema, the database configuration and statistics, shared by the job and the pool library.
        .target(
            name: "PoolDatabase",
            dependencies: [
                "Resilience",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only to recognise the pool's own errors (circuit breaker, shutdown) in messages.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "PrefetchJob",
            dependencies: [
                "ProcessConfiguration",
                "PoolDatabase",
                "TOMEClient",
                "TOMEWire",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Approach 2's reservation library: never Hummingbird, never the job.
        .target(
            name: "TokenPool",
            dependencies: [
                "PoolDatabase",
                "TOMEClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "CardService",
            dependencies: [
                "PoolDatabase",
                "ProcessConfiguration",
                "Resilience",
                "TOMEClient",
                "TOMEWire",
                "TokenPool",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "card-app",
            dependencies: [
                "ProcessConfiguration",
                "CardService",
                "PoolDatabase",
                "TOMEClient",
                "TokenPool",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        // Benchmark helpers, release-built by scripts/bench; never part of swift test.
        .executableTarget(
            name: "tome-bench",
            dependencies: [
                "CardService",
                "ProcessConfiguration",
                "PoolDatabase",
                "TOMEClient",
                "TokenPool",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        // The AWS Lambda Runtime API loop, on AsyncHTTPClient (already in the job for TOME).
        .target(
            name: "LambdaRuntime",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // A Runtime API emulator that tests drive the real binary through, and an in-process
        // Runtime API client that tests drive the run loop with.
        .target(
            name: "LambdaRuntimeEmulator",
            dependencies: [
                "LambdaRuntime",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "tome-prefetch",
            dependencies: [
                "CRuntimeFloor",
                "ProcessConfiguration",
                "LambdaRuntime",
                "PoolDatabase",
                "PrefetchJob",
                "TOMEClient",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings,
            linkerSettings: runtimeFloorLinkerSettings
        ),
        // What every test suite shares: real PostgreSQL with an isolated schema per test (settings
        // from DATABASE_URL), and a log handler that captures lines for assertions.
        .target(
            name: "TestSupport",
            dependencies: [
                "PoolDatabase",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PrefetchJobTests",
            dependencies: [
                "ProcessConfiguration",
                "TestSupport",
                "PoolDatabase",
                "PrefetchJob",
                "TOMEClient",
                "TOMESimulator",
                "TokenPool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            // Read by path (the tests run from the package), not bundled.
            exclude: ["Fixtures"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TokenPoolTests",
            dependencies: [
                "TestSupport",
                "PoolDatabase",
                "TOMEClient",
                "TOMESimulator",
                "TokenPool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CardServiceTests",
            dependencies: [
                "CardService",
                "TestSupport",
                "PoolDatabase",
                "TOMEClient",
                "TOMESimulator",
                "TokenPool",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LambdaRuntimeTests",
            dependencies: [
                "TestSupport",
                "LambdaRuntime",
                "LambdaRuntimeEmulator",
                "TOMESimulator",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TOMEClientTests",
            dependencies: [
                "ProcessConfiguration",
                "TestSupport",
                "TOMEClient",
                "TOMESimulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
