/// The five blocking-coordination metrics. Their names, labels and buckets are a public contract:
/// dashboards and alert rules depend on them.
public enum CoreMetrics {
    public static let coordinators = (
        name: "blocking_coordinators_total", help: "Total number of active blocking coordinators",
        labels: ["swarm_id", "phase", "status"])
    public static let blockingDuration = (
        name: "blocking_duration_seconds", help: "Duration of blocking coordination in seconds",
        labels: ["swarm_id", "coordinator_id", "status"],
        buckets: [1.0, 5, 10, 30, 60, 120, 300, 600, 1800])
    public static let signalLatency = (
        name: "signal_delivery_latency_seconds", help: "Latency of signal delivery from send to ACK in seconds",
        labels: ["sender_id", "receiver_id", "signal_type"],
        buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10])
    public static let heartbeatFailures = (
        name: "heartbeat_failures_total", help: "Total number of heartbeat failures detected",
        labels: ["coordinator_id", "failure_type"])
    public static let timeoutEvents = (
        name: "timeout_events_total", help: "Total number of timeout events triggered",
        labels: ["coordinator_id", "timeout_type"])

    /// Registers all five in `registry`; a registry that already has them is left as it is.
    public static func register(in registry: Registry) throws(MetricsError) {
        _ = try registry.gauge(coordinators.name, help: coordinators.help, labelNames: coordinators.labels)
        _ = try registry.histogram(
            blockingDuration.name, help: blockingDuration.help, labelNames: blockingDuration.labels,
            buckets: blockingDuration.buckets)
        _ = try registry.histogram(
            signalLatency.name, help: signalLatency.help, labelNames: signalLatency.labels,
            buckets: signalLatency.buckets)
        _ = try registry.counter(
            heartbeatFailures.name, help: heartbeatFailures.help, labelNames: heartbeatFailures.labels)
        _ = try registry.counter(timeoutEvents.name, help: timeoutEvents.help, labelNames: timeoutEvents.labels)
    }
}
