// swift-tools-version:6.0
import PackageDescription

// One module per layer of the design (see README.md and docs/). The C
// targets are system libraries found by pkg-config, plus CSandbox: the child
// side of clone(), where only async-signal-safe calls are allowed.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let package = Package(
    name: "hutch",
    platforms: [.macOS(.v13)],
    products: [
        // `hutch` is the launcher: a plain --rootfs run starts there, without
        // the full CLI's shared libraries; it execs hutch-cli for the rest.
        .executable(name: "hutch", targets: ["hutch-launcher"]),
        .executable(name: "hutch-cli", targets: ["hutch"]),
        .executable(name: "hutch-unionfs", targets: ["hutch-unionfs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The config file (Registry's HutchConfig): a first debug build takes ~20 s.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages, found by pkg-config).
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3",
                       providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CSeccomp", pkgConfig: "libseccomp",
                       providers: [.apt(["libseccomp-dev"])]),
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        // The only C we write: the child side of process creation.
        .target(name: "CSandbox"),

        // Pure modules: no system dependency.
        .target(name: "Dockerfile", swiftSettings: swift5),
        .target(name: "OCI",
                dependencies: [.product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swift5),

        // System-facing modules.
        // The part of Seccomp a container start needs when nothing changed
        // (search path, target, filter index): no Foundation, for the launcher.
        .target(name: "SeccompCache", dependencies: ["CSeccomp"], swiftSettings: swift5),
        .target(name: "Seccomp",
                dependencies: ["CSeccomp", "SeccompCache", .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: swift5),
        .target(name: "HostInfo", swiftSettings: swift5),
        .target(name: "Sandbox",
                dependencies: ["CSandbox", .product(name: "SystemPackage", package: "swift-system")],
                swiftSettings: swift5),
        .target(name: "Store",
                dependencies: ["OCI", "CArchive",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "SystemPackage", package: "swift-system")],
                swiftSettings: swift5),
        .target(name: "Registry",
                dependencies: ["OCI", "Store",
                               .product(name: "Crypto", package: "swift-crypto"),
                               .product(name: "TOMLKit", package: "TOMLKit")],
                swiftSettings: swift5),
        .target(name: "UnionFS", dependencies: ["CFuse3"], swiftSettings: swift5),
        .target(name: "Containers",
                dependencies: ["Sandbox", "Seccomp", "Store", "Registry", "UnionFS", "OCI",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: swift5),
        .target(name: "Builder",
                dependencies: ["Dockerfile", "Containers", "Store", "Registry", "OCI", "CArchive"],
                swiftSettings: swift5),

        // A plain --rootfs run: read from the common command lines and started,
        // shared by the full CLI and the launcher (so no Foundation).
        .target(name: "SandboxRun", dependencies: ["Sandbox", "SeccompCache"], swiftSettings: swift5),
        // The run command's options as argument-parser declares them (full CLI).
        .target(name: "RunCommandLine",
                dependencies: ["Sandbox", .product(name: "ArgumentParser", package: "swift-argument-parser")],
                swiftSettings: swift5),

        // Executables: thin.
        .executableTarget(name: "hutch",
                          dependencies: ["Builder", "Dockerfile", "Containers", "Seccomp", "HostInfo", "Store", "Registry", "OCI", "SandboxRun", "RunCommandLine",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: swift5),
        .executableTarget(name: "hutch-launcher", dependencies: ["SandboxRun"], swiftSettings: swift5),
        .executableTarget(name: "hutch-unionfs", dependencies: ["UnionFS"], swiftSettings: swift5),

        // Tests.
        .testTarget(name: "DockerfileTests", dependencies: ["Dockerfile"], swiftSettings: swift5),
        .testTarget(name: "OCITests", dependencies: ["OCI"], swiftSettings: swift5),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "SeccompCache"], swiftSettings: swift5),
        .testTarget(name: "SandboxRunTests", dependencies: ["SandboxRun", "RunCommandLine", "Sandbox",
                                                            .product(name: "ArgumentParser", package: "swift-argument-parser")],
                    swiftSettings: swift5),
        .testTarget(name: "HostInfoTests", dependencies: ["HostInfo"], swiftSettings: swift5),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"], swiftSettings: swift5),
        .testTarget(name: "StoreTests", dependencies: ["Store", "OCI"], swiftSettings: swift5),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "OCI"], swiftSettings: swift5),
        .testTarget(name: "UnionFSTests", dependencies: ["UnionFS"], swiftSettings: swift5),
        .testTarget(name: "BuilderTests", dependencies: ["Builder"], swiftSettings: swift5),
        .testTarget(name: "ContainersTests", dependencies: ["Containers"], swiftSettings: swift5),
        .testTarget(name: "EndToEndTests", dependencies: [], exclude: ["Support/syscall-probe.c"], swiftSettings: swift5),
    ]
)
