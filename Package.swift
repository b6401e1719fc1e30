// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cfn-metrics",
    products: [
        .library(name: "cfnmetrics", type: .dynamic, targets: ["cfnmetrics"]),
        .library(name: "cfnplugin_redis", type: .dynamic, targets: ["CFNPluginRedis"]),
        .library(name: "cfnplugin_labels", type: .dynamic, targets: ["CFNPluginLabels"]),
        .executable(name: "cfn-exporter", targets: ["cfn-exporter"]),
    ],
    targets: [
        .target(name: "CFNMetrics"),
        .target(name: "cfnmetrics", dependencies: ["CFNMetrics"]),
        .systemLibrary(name: "CCFNABI"),
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib"),
        .target(name: "CFNLogging"),
        .target(name: "CFNPluginHost", dependencies: ["CFNMetrics", "cfnmetrics", "CCFNABI", "CFNLogging"]),
        .target(name: "CFNHTTPShim"),
        .target(name: "CFNHTTP", dependencies: ["CMicroHTTPD", "CZlib", "CFNLogging", "CFNHTTPShim"]),
        .executableTarget(
            name: "cfn-exporter",
            dependencies: ["CFNMetrics", "cfnmetrics", "CFNPluginHost", "CFNHTTP", "CFNLogging"],
            // Plugins resolve the cfn_* functions from the exporter itself.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .target(
            name: "CFNPluginRedis",
            path: "plugins/redis",
            cSettings: [.headerSearchPath("../../Include"), .unsafeFlags(["-I/usr/include/hiredis"])],
            linkerSettings: [.linkedLibrary("hiredis"), .linkedLibrary("yajl")]
        ),
        .target(
            name: "CFNPluginLabels",
            path: "plugins/labels",
            cSettings: [.headerSearchPath("../../Include")]
        ),
        .testTarget(name: "CFNMetricsTests", dependencies: ["CFNMetrics"]),
    ]
)
