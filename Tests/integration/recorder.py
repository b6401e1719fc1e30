"""Records the core metrics through libcfnmetrics (ctypes) and serves them for Prometheus.

    python3 recorder.py PORT BUILD_DIR [--seconds N]

Loads BUILD_DIR/libcfnmetrics.so, registers the five core metrics in a registry of its own, and
every 100 ms observes blocking durations and signal latencies and counts heartbeat failures and
timeout events, as instrumented coordinators would. It also sets some coordinator counts once,
as coordinators reporting them to the API server would. GET /prometheus/metrics (or /metrics)
on 127.0.0.1:PORT answers with the text format 0.0.4, as api-project/server.js does, so that it
can stand in for the API server in the shipped scrape job. Prints "listening PORT" once it
serves. Recording stops, and the program exits, after --seconds (240 by default) or on SIGTERM /
SIGINT.
"""
import argparse
import ctypes
import http.server
import itertools
import signal
import sys
import threading
from pathlib import Path

CFN_OK = 0
CFN_FORMAT_TEXT_0_0_4 = 0
ABI_VERSION = 1
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TICK_SECONDS = 0.1
METRICS_PATHS = ("/prometheus/metrics", "/metrics")

# (family, label values, values cycled through one per tick). Swarm s1's waits end within a
# minute and its "ack" signals within half a second; swarm s2's waits all take 40 minutes
# (beyond the 1800 s bucket) and "wake" signals take 7 s, so the duration, latency and
# stuck-coordinator alerts become pending for s2 and "wake" only.
OBSERVATIONS = [
    ("blocking_duration_seconds", ("s1", "c1", "completed"), (2, 4, 7, 20, 45)),
    ("blocking_duration_seconds", ("s1", "c2", "completed"), (3, 9, 25)),
    ("blocking_duration_seconds", ("s2", "c5", "completed"), (2400,)),
    ("signal_delivery_latency_seconds", ("c1", "c2", "ack"), (0.02, 0.08, 0.3)),
    ("signal_delivery_latency_seconds", ("c5", "c6", "wake"), (7,)),
]
# (family, label values): one increment per tick, 10 per second.
INCREMENTS = [
    ("heartbeat_failures_total", ("c4", "timeout")),
    ("timeout_events_total", ("c5", "blocking")),
]
# blocking_coordinators_total (swarm_id, phase, status): count, set once. The same counts
# cfn-exporter reads from the Redis the end-to-end test fills (s1's active coordinators and
# s2's blocked ones), so that two jobs serve them as in a real set-up where coordinators also
# report their counts to the API server.
COORDINATOR_COUNTS = {
    ("s1", "p1", "active"): 3,
    ("s2", "p1", "blocked"): 2,
}

class Library:
    """The few cfn_* calls used here, with their C signatures; every status is checked."""

    def __init__(self, build_dir):
        lib = ctypes.CDLL(str(Path(build_dir) / "libcfnmetrics.so"))
        handle, status = ctypes.c_void_p, ctypes.c_int
        out_handle = ctypes.POINTER(ctypes.c_void_p)
        signatures = {
            "cfn_abi_version": (status, []),
            "cfn_last_error": (ctypes.c_char_p, []),
            "cfn_status_string": (ctypes.c_char_p, [status]),
            "cfn_registry_new": (handle, []),
            "cfn_registry_release": (None, [handle]),
            "cfn_register_core_metrics": (status, [handle]),
            "cfn_registry_family": (status, [handle, ctypes.c_char_p, out_handle]),
            "cfn_family_release": (None, [handle]),
            "cfn_family_series": (status, [handle, ctypes.POINTER(ctypes.c_char_p),
                                           ctypes.c_size_t, out_handle]),
            "cfn_series_release": (None, [handle]),
            "cfn_histogram_observe": (status, [handle, ctypes.c_double]),
            "cfn_counter_inc": (status, [handle]),
            "cfn_gauge_set": (status, [handle, ctypes.c_double]),
            "cfn_registry_render": (status, [handle, status,
                                             ctypes.POINTER(ctypes.POINTER(ctypes.c_char)),
                                             ctypes.POINTER(ctypes.c_size_t)]),
            "cfn_buffer_free": (None, [ctypes.POINTER(ctypes.c_char)]),
        }
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes
        self.lib = lib
        if lib.cfn_abi_version() != ABI_VERSION:
            raise RuntimeError(f"libcfnmetrics ABI {lib.cfn_abi_version()}, "
                               f"this program speaks {ABI_VERSION}")

    def check(self, status, call):
        """Raises on a failed call; must run on the thread that made the call."""
        if status != CFN_OK:
            detail = self.lib.cfn_last_error().decode("utf-8", "replace")
            kind = self.lib.cfn_status_string(status).decode("utf-8", "replace")
            raise RuntimeError(f"{call} failed with {status} ({kind}): {detail}")

    def new_registry(self):
        registry = self.lib.cfn_registry_new()
        if not registry:
            raise RuntimeError("cfn_registry_new returned NULL")
        return registry

    def family(self, registry, name):
        out = ctypes.c_void_p()
        self.check(self.lib.cfn_registry_family(registry, name.encode(), ctypes.byref(out)),
                   f"cfn_registry_family({name})")
        return out

    def series(self, family, values):
        array = (ctypes.c_char_p * len(values))(*(value.encode() for value in values))
        out = ctypes.c_void_p()
        self.check(self.lib.cfn_family_series(family, array, len(values), ctypes.byref(out)),
                   f"cfn_family_series{values}")
        return out

    def render_text(self, registry):
        buffer, length = ctypes.POINTER(ctypes.c_char)(), ctypes.c_size_t()
        self.check(self.lib.cfn_registry_render(registry, CFN_FORMAT_TEXT_0_0_4,
                                                ctypes.byref(buffer), ctypes.byref(length)),
                   "cfn_registry_render")
        try:
            return ctypes.string_at(buffer, length.value)
        finally:
            self.lib.cfn_buffer_free(buffer)

class Recorder:
    """Holds the series handles and updates them every tick until stopped."""

    def __init__(self, library):
        self.library = library
        self.registry = library.new_registry()
        library.check(library.lib.cfn_register_core_metrics(self.registry),
                      "cfn_register_core_metrics")
        names = {name for name, *_ in OBSERVATIONS + INCREMENTS}
        names.add("blocking_coordinators_total")
        self.families = {name: library.family(self.registry, name) for name in sorted(names)}
        self.histograms = [(library.series(self.families[name], labels), itertools.cycle(values))
                           for name, labels, values in OBSERVATIONS]
        self.counters = [library.series(self.families[name], labels)
                         for name, labels in INCREMENTS]
        self.gauges = []
        for labels, count in COORDINATOR_COUNTS.items():
            gauge = library.series(self.families["blocking_coordinators_total"], labels)
            self.gauges.append(gauge)
            library.check(library.lib.cfn_gauge_set(gauge, count), "cfn_gauge_set")
        self.stopped = threading.Event()
        self.failure = None

    def tick(self):
        lib = self.library.lib
        for series, values in self.histograms:
            self.library.check(lib.cfn_histogram_observe(series, next(values)),
                               "cfn_histogram_observe")
        for series in self.counters:
            self.library.check(lib.cfn_counter_inc(series), "cfn_counter_inc")

    def run(self, seconds, on_end):
        """Ticks for at most `seconds`, then calls on_end (also after a failure)."""
        try:
            for _ in range(int(seconds / TICK_SECONDS)):
                self.tick()
                if self.stopped.wait(TICK_SECONDS):
                    break
        except RuntimeError as error:
            self.failure = error
            print(f"recording failed: {error}", file=sys.stderr, flush=True)
        finally:
            on_end()

    def release(self):
        lib = self.library.lib
        for series, _ in self.histograms:
            lib.cfn_series_release(series)
        for series in self.counters + self.gauges:
            lib.cfn_series_release(series)
        for family in self.families.values():
            lib.cfn_family_release(family)
        lib.cfn_registry_release(self.registry)

def handler_for(recorder):
    class MetricsHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?", 1)[0] not in METRICS_PATHS:
                self.send_error(404, f"only {' and '.join(METRICS_PATHS)} are served here")
                return
            try:
                body = recorder.library.render_text(recorder.registry)
            except RuntimeError as error:
                self.send_error(500, str(error))
                return
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # one line per scrape would only be noise
            pass

    return MetricsHandler

def stop_on_signal(signum, frame):
    raise SystemExit(0)

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument("build_dir", help="folder holding libcfnmetrics.so")
    parser.add_argument("--seconds", type=float, default=240.0,
                        help="stop recording and exit after this long (default 240)")
    args = parser.parse_args()

    recorder = Recorder(Library(args.build_dir))
    server = http.server.HTTPServer(("127.0.0.1", args.port), handler_for(recorder))
    signal.signal(signal.SIGTERM, stop_on_signal)
    signal.signal(signal.SIGINT, stop_on_signal)
    worker = threading.Thread(target=recorder.run, args=(args.seconds, server.shutdown),
                              daemon=True)
    worker.start()
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    finally:
        recorder.stopped.set()
        worker.join(timeout=5)
        server.server_close()
        if not worker.is_alive():
            recorder.release()
    return 1 if recorder.failure else 0

if __name__ == "__main__":
    sys.exit(main())
