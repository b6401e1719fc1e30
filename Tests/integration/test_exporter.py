"""cfn-exporter as a process: flags, endpoints, formats, signals, and promtool on what it serves."""
import gzip
import json
import signal
import socket
import subprocess

from conftest import BUILD_DIR, promtool_findings, sample_value, samples, wait_for

CORE_FAMILIES = {
    "blocking_coordinators_total": "gauge",
    "blocking_duration_seconds": "histogram",
    "signal_delivery_latency_seconds": "histogram",
    "heartbeat_failures_total": "counter",
    "timeout_events_total": "counter",
}
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")

def run(*args, env=None):
    return subprocess.run([str(BUILD_DIR / "cfn-exporter"), *args], capture_output=True, text=True,
                          timeout=30, env=env)

def test_help_and_version():
    assert run("-h").stdout == run("--help").stdout
    result = run("--help")
    assert result.returncode == 0
    assert "--web.listen-address=HOST:PORT" in result.stdout
    assert "--plugin.NAME.KEY=VALUE" in result.stdout
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("cfn-exporter 0.1.0")

def test_unknown_flag_exits_2_naming_it():
    result = run("--web.listen-adress=127.0.0.1:0")
    assert result.returncode == 2
    assert "unknown flag --web.listen-adress" in result.stderr

def test_bad_flag_value_exits_2_naming_flag_and_value():
    result = run("--log.level=loud")
    assert result.returncode == 2
    assert 'flag --log.level: invalid value "loud"' in result.stderr
    result = run("--collector.timeout=soon")
    assert result.returncode == 2 and '"soon"' in result.stderr
    result = run("--collector.timeout=5")
    assert result.returncode == 2 and "with a unit (ms, s or m)" in result.stderr

def test_bad_environment_value_exits_2_naming_the_variable():
    result = run(env={"CFN_WEB_MAX_REQUESTS": "many", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert 'environment variable CFN_WEB_MAX_REQUESTS: invalid value "many"' in result.stderr

def test_options_for_a_plugin_that_is_not_loaded_are_refused():
    result = run("--web.listen-address=127.0.0.1:0", "--plugin.redis.url=redis://127.0.0.1:1")
    assert result.returncode == 2
    assert "no plugin of that name is loaded" in result.stderr

def test_port_in_use_exits_1_saying_so():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run(f"--web.listen-address=127.0.0.1:{port}")
    assert result.returncode == 1
    assert f"listen address 127.0.0.1:{port} is already in use" in result.stderr

def test_serves_the_five_core_families_without_series(start_exporter):
    exporter = start_exporter()
    status, headers, body = exporter.get()
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = body.decode()
    for name, kind in CORE_FAMILIES.items():
        assert f"# HELP {name} " in text
        assert f"# TYPE {name} {kind}\n" in text
    assert sample_value(text, "cfn_exporter_build_info", {"version": "0.1.0"}) == 1
    assert promtool_findings(text) == []

def test_metrics_alias_health_home_and_errors(start_exporter):
    exporter = start_exporter("--web.telemetry-path=/custom")
    assert exporter.get("/custom")[0] == 200
    assert exporter.get("/metrics")[0] == 200
    assert exporter.get("/prometheus/metrics")[0] == 404
    assert exporter.get("/-/healthy")[:1] == (200,)
    status, headers, body = exporter.get("/")
    assert status == 200 and b'href="/custom"' in body
    assert headers["Content-Type"].startswith("text/html")
    status, headers, _ = exporter.get("/custom", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    # Each request above was counted under its handler and code.
    text = exporter.get("/custom")[2].decode()
    assert sample_value(text, "cfn_http_requests_total", {"handler": "other", "code": "404"}) == 1
    assert sample_value(text, "cfn_http_requests_total", {"handler": "metrics", "code": "405"}) == 1

def test_head_sends_headers_only(start_exporter):
    exporter = start_exporter()
    status, headers, body = exporter.get(method="HEAD")
    assert status == 200 and body == b""
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")

def test_gzip_when_accepted_identity_otherwise(start_exporter):
    exporter = start_exporter()
    status, headers, body = exporter.get(headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert b"# TYPE blocking_coordinators_total gauge" in gzip.decompress(body)
    _, headers, body = exporter.get(headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in headers and body.startswith(b"# HELP")

def test_openmetrics_when_prometheus_asks_for_it(start_exporter):
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    exporter = start_exporter()
    status, headers, body = exporter.get(headers={"Accept": PROMETHEUS_ACCEPT})
    assert status == 200
    assert headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8"
    text = body.decode()
    assert text.endswith("# EOF\n")
    assert "# TYPE timeout_events counter\n" in text
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"timeout_events", "heartbeat_failures", "blocking_duration_seconds"} <= names

def test_json_logs_are_one_object_per_line(start_exporter):
    exporter = start_exporter("--log.format=json")
    lines = [json.loads(line) for line in exporter.log().splitlines() if line.strip()]
    listening = [line for line in lines if line["msg"] == "listening"]
    assert listening and listening[0]["level"] == "info"
    assert listening[0]["address"] == exporter.address

def test_json_logs_split_plugin_fields_into_members(redis_server, start_exporter):
    redis_server.mset({"swarm:s1:blocking:broken": "not json"})
    exporter = start_exporter("--log.format=json", "--plugin=redis",
                              f"--plugin.redis.url={redis_server.url}")
    exporter.scrape()
    lines = [json.loads(line) for line in exporter.log().splitlines() if line.strip()]
    skipped = [line for line in lines if line["msg"] == "skipping value that is not a JSON object"]
    assert skipped, lines
    assert skipped[0]["level"] == "warn" and skipped[0]["plugin"] == "redis"
    assert skipped[0]["key"] == "swarm:s1:blocking:broken"

def test_sigterm_and_sigint_stop_cleanly(start_exporter):
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        exporter = start_exporter()
        exporter.process.send_signal(stop_signal)
        assert exporter.process.wait(timeout=10) == 0
        assert "msg=stopping" in exporter.log()

def test_redis_end_to_end(redis_server, start_exporter):
    """The whole path: coordinators in Redis, exact values, promtool, Redis down and back."""
    redis_server.mset({
        "swarm:s1:blocking:c1": json.dumps({"swarmId": "s1", "coordinatorId": "c1",
                                            "status": "blocked", "phase": "review",
                                            "startTime": 1, "iteration": 1}),
        "swarm:s1:blocking:c2": json.dumps({"swarmId": "s1", "coordinatorId": "c2",
                                            "status": "blocked", "phase": "review",
                                            "startTime": 1, "iteration": 2}),
        "swarm:s2:blocking:c3": json.dumps({"swarmId": "s2", "coordinatorId": "c3",
                                            "status": "active", "phase": "build"}),
    })
    exporter = start_exporter("--plugin=redis", f"--plugin.redis.url={redis_server.url}")
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == {
        frozenset({"swarm_id": "s1", "phase": "review", "status": "blocked"}.items()): 2,
        frozenset({"swarm_id": "s2", "phase": "build", "status": "active"}.items()): 1,
    }
    assert sample_value(body, "cfn_collector_up", {"collector": "redis"}) == 1
    assert promtool_findings(body) == []

    redis_server.stop()
    status, _, body = exporter.get()
    assert status == 200
    assert sample_value(body.decode(), "cfn_collector_up", {"collector": "redis"}) == 0
    assert "Redis connection failed: " in exporter.log()

    redis_server.start()
    redis_server.mset({"swarm:s3:blocking:c9": json.dumps({"swarmId": "s3", "phase": "p"})})

    def recovered():
        text = exporter.scrape()
        return sample_value(text, "cfn_collector_up", {"collector": "redis"}) == 1 and text

    body = wait_for(recovered, timeout=10, interval=0.2, what="the redis collector to recover")
    assert 'msg="collector recovered" plugin=redis' in exporter.log()
    assert samples(body, "blocking_coordinators_total") == {
        frozenset({"swarm_id": "s3", "phase": "p", "status": "active"}.items()): 1,
    }

def test_many_allowed_scrapes_do_not_starve_connections(start_exporter):
    exporter = start_exporter("--web.max-requests=200")
    statuses = [exporter.get("/-/healthy")[0] for _ in range(60)]
    assert statuses == [200] * 60

def test_accept_encoding_is_read_by_quality(start_exporter):
    exporter = start_exporter()
    cases = {"*;q=0, gzip": True, "gzip;q=abc": False, "*": True, "gzip;q=0.001": True,
             "identity": False, "GZIP": True, "br, *;q=0": False}
    for header, compressed in cases.items():
        _, headers, _ = exporter.get(headers={"Accept-Encoding": header})
        assert (headers.get("Content-Encoding") == "gzip") == compressed, header

def test_error_bodies_do_not_reflect_long_or_control_input(start_exporter):
    exporter = start_exporter()
    status, _, body = exporter.get("/" + "a" * 5000)
    assert status == 404 and len(body) < 200
    status, _, body = exporter.get("/x%01y")
    assert status == 404 and b"\x01" not in body

def test_telemetry_path_must_be_reachable_and_not_shadow_others():
    for path in ("/metrics?x=1", "/-/healthy", "/", "/a b", "metrics"):
        result = run(f"--web.telemetry-path={path}")
        assert result.returncode == 2, path
        assert "flag --web.telemetry-path: invalid value" in result.stderr

def test_help_answers_despite_a_malformed_environment():
    result = run("--help", env={"CFN_WEB_MAX_REQUESTS": "many", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0 and "Usage: cfn-exporter" in result.stdout
    result = run("--help=no")
    assert result.returncode == 2 and "flag --help takes no value" in result.stderr

def test_unresolvable_listen_host_is_a_bad_flag_value():
    result = run("--web.listen-address=nonexistent.invalid:0")
    assert result.returncode == 2
    assert "listen address nonexistent.invalid:0" in result.stderr
