// swift-tools-version:6.0
import PackageDescription

// Every Swift target builds with these (applied at the end of this file).
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

// The products the targets use from the dependencies below, by the module each one imports.
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let asyncHTTPClient = Target.Dependency.product(name: "AsyncHTTPClient", package: "async-http-client")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let httpTypes = Target.Dependency.product(name: "HTTPTypes", package: "swift-http-types")
let hummingbird = Target.Dependency.product(name: "Hummingbird", package: "hummingbird")
let hummingbirdCore = Target.Dependency.product(name: "HummingbirdCore", package: "hummingbird")
let hummingbirdTLS = Target.Dependency.product(name: "HummingbirdTLS", package: "hummingbird")
let hummingbirdTesting = Target.Dependency.product(name: "HummingbirdTesting", package: "hummingbird")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioHTTPTypes = Target.Dependency.product(name: "NIOHTTPTypes", package: "swift-nio-extras")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let postgresNIO = Target.Dependency.product(name: "PostgresNIO", package: "postgres-nio")
let connectionPoolModule = Target.Dependency.product(name: "_ConnectionPoolModule", package: "postgres-nio")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let unixSignals = Target.Dependency.product(name: "UnixSignals", package: "swift-service-lifecycle")

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
        .target(name: "ProcessConfiguration", dependencies: [logging]),
        // The wrappers of runtimeFloorLinkerSettings, for binaries that run on an older glibc.
        .target(
            name: "CRuntimeFloor",
            linkerSettings: [.linkedLibrary("m", .when(platforms: [.linux])), .linkedLibrary("stdc++", .when(platforms: [.linux]))]
        ),
        // Retry with jittered backoff, for TOME calls and database transactions alike.
        .target(name: "Resilience"),
        // The v1 wire contract: the only code the simulator shares with the client.
        .target(name: "TOMEWire"),
        .target(
            name: "TOMEClient",
            dependencies: [
                "ProcessConfiguration", "Resilience", "TOMEWire",
                asyncHTTPClient, logging, metrics, nioCore, nioHTTP1, nioSSL,
            ]
        ),
        .target(
            name: "TOMESimulator",
            dependencies: ["ProcessConfiguration", "TOMEWire", hummingbird, hummingbirdTLS, logging, nioSSL, serviceLifecycle]
        ),
        .executableTarget(
            name: "tome-simulator",
            dependencies: ["ProcessConfiguration", "TOMESimulator", argumentParser, logging, serviceLifecycle]
        ),
        // The schema, the database configuration and statistics, shared by the job and the pool library.
        .target(
            name: "PoolDatabase",
            dependencies: [
                "Resilience", logging, nioSSL, postgresNIO,
                // Only to recognise the pool's own errors (circuit breaker, shutdown) in messages.
                connectionPoolModule,
            ],
            // Compiled into the module as bytes: a Lambda zip and the container image carry only
            // the binary, so there is no resource bundle to read it from at run time.
            resources: [.embedInCode("schema.sql")]
        ),
        .target(
            name: "PrefetchJob",
            dependencies: ["ProcessConfiguration", "PoolDatabase", "TOMEClient", "TOMEWire", logging, postgresNIO]
        ),
        // Approach 2's reservation library: never Hummingbird, never the job.
        .target(
            name: "TokenPool",
            dependencies: ["PoolDatabase", "TOMEClient", logging, metrics, postgresNIO]
        ),
        .target(
            name: "CardService",
            dependencies: [
                "PoolDatabase", "ProcessConfiguration", "Resilience", "TOMEClient", "TOMEWire", "TokenPool",
                crypto, httpTypes, hummingbird, hummingbirdCore, hummingbirdTLS, logging, metrics,
                nioCore, nioHTTPTypes, nioSSL, postgresNIO, prometheus, serviceLifecycle, unixSignals,
            ]
        ),
        .executableTarget(
            name: "card-app",
            dependencies: [
                "CardService", "PoolDatabase", "ProcessConfiguration", "TOMEClient", "TokenPool",
                argumentParser, crypto, hummingbird, logging, metrics, postgresNIO, prometheus, serviceLifecycle,
            ]
        ),
        // Benchmark helpers, release-built by scripts/bench; never part of swift test.
        .executableTarget(
            name: "tome-bench",
            dependencies: [
                "CardService", "PoolDatabase", "ProcessConfiguration", "TOMEClient", "TokenPool",
                argumentParser, asyncHTTPClient, logging, postgresNIO,
            ]
        ),
        // The AWS Lambda Runtime API loop, on AsyncHTTPClient (already in the job for TOME).
        .target(
            name: "LambdaRuntime",
            dependencies: [asyncHTTPClient, logging, nioCore, nioHTTP1, serviceLifecycle]
        ),
        // A Runtime API emulator that tests drive the real binary through, and an in-process
        // Runtime API client that tests drive the run loop with.
        .target(
            name: "LambdaRuntimeEmulator",
            dependencies: ["LambdaRuntime", httpTypes, hummingbird, logging]
        ),
        .executableTarget(
            name: "tome-prefetch",
            dependencies: [
                "CRuntimeFloor", "LambdaRuntime", "PoolDatabase", "PrefetchJob", "ProcessConfiguration", "TOMEClient",
                argumentParser, logging, serviceLifecycle,
            ],
            linkerSettings: runtimeFloorLinkerSettings
        ),
        // What every test suite shares: real PostgreSQL with an isolated schema per test (settings
        // from DATABASE_URL), and a log handler that captures lines for assertions.
        .target(
            name: "TestSupport",
            dependencies: ["PoolDatabase", logging, postgresNIO],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "PrefetchJobTests",
            dependencies: [
                "PoolDatabase", "PrefetchJob", "ProcessConfiguration", "TestSupport", "TOMEClient", "TOMESimulator",
                "TokenPool", logging, postgresNIO,
            ],
            // Read by path (the tests run from the package), not bundled.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TokenPoolTests",
            dependencies: [
                "PoolDatabase", "TestSupport", "TOMEClient", "TOMESimulator", "TokenPool", logging, postgresNIO,
            ]
        ),
        .testTarget(
            name: "CardServiceTests",
            dependencies: [
                "CardService", "PoolDatabase", "ProcessConfiguration", "TestSupport", "TOMEClient", "TOMESimulator", "TokenPool",
                asyncHTTPClient, crypto, httpTypes, hummingbird, hummingbirdTesting, logging, metrics,
                postgresNIO, prometheus, serviceLifecycle,
            ]
        ),
        .testTarget(
            name: "LambdaRuntimeTests",
            dependencies: [
                "LambdaRuntime", "LambdaRuntimeEmulator", "TestSupport", "TOMESimulator",
                logging, postgresNIO, serviceLifecycle,
            ]
        ),
        .testTarget(
            name: "TOMEClientTests",
            dependencies: ["ProcessConfiguration", "TestSupport", "TOMEClient", "TOMESimulator", asyncHTTPClient, logging]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The strict settings on every target but CRuntimeFloor, which is C.
for target in package.targets where target.name != "CRuntimeFloor" {
    target.swiftSettings = strictSettings
}
