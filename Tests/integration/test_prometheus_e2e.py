"""A real Prometheus scraping cfn-exporter (Redis plugin) and a program using libcfnmetrics.

One stack serves the whole module, every part on a free loopback port: redis-server holding
coordinators and heartbeats, cfn-exporter reading them, recorder.py observing durations and
latencies and counting failures through the C ABI, and Prometheus scraping them and itself
every second and evaluating the shipped recording rules and alerts. Prometheus runs on the
shipped prometheus/prometheus.yml with only the targets and intervals replaced: recorder.py
takes the place of the API server in the job blocking-coordination-api, as any process that
records through the library may. recorder.py also serves some of the coordinator counts the
exporter reads from Redis, so that two jobs serve them as they can in production.

The tests read only Prometheus's HTTP API, so they check what an operator sees: targets, the
series Redis implies, every rule and alert expression, the alert states, and every query of
the Grafana dashboard.

Each check polls with a bounded wait; all waits share one deadline after the stack is up, so a
broken stack fails within a minute and a half rather than once per test.
"""
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from conftest import BUILD_DIR, REPO, Exporter, RedisServer, free_port, wait_for
from recorder import COORDINATOR_COUNTS

CONFIG = REPO / "prometheus" / "prometheus.yml"
RECORDING = (REPO / "prometheus" / "recording-rules.yml").resolve()
ALERTS = (REPO / "prometheus" / "alerts" / "blocking-coordination-alerts.yml").resolve()
DASHBOARD = REPO / "grafana" / "blocking-coordination-dashboard.json"
RECORDER = Path(__file__).resolve().with_name("recorder.py")
# The shipped scrape jobs: cfn-exporter, the API server (here recorder.py), Prometheus itself.
EXPORTER_JOB, API_JOB, SELF_JOB = "blocking-coordination", "blocking-coordination-api", "prometheus"
# Every poll of the module ends this long after Prometheus is ready at the latest.
DEADLINE_SECONDS = 75

# coordinator: (swarm, phase, status, started this many seconds ago)
COORDINATORS = {
    "c1": ("s1", "p1", "active", 40),
    "c2": ("s1", "p1", "active", 50),
    "c3": ("s1", "p1", "active", 30),
    "c4": ("s1", "p2", "blocked", 60),
    "c5": ("s2", "p1", "blocked", 7200),
    "c6": ("s2", "p1", "blocked", 3600),
}
# coordinator: age of its last heartbeat in seconds. c4's is older than the exporter's
# heartbeat timeout (1h here, so that the fresh ones stay fresh during the run); c6 has none.
HEARTBEAT_AGES = {"c1": 0, "c2": 0, "c3": 0, "c4": 7200, "c5": 0}
EXPECTED_COORDINATORS = {
    frozenset({"swarm_id": "s1", "phase": "p1", "status": "active"}.items()): 3,
    frozenset({"swarm_id": "s1", "phase": "p2", "status": "blocked"}.items()): 1,
    frozenset({"swarm_id": "s2", "phase": "p1", "status": "blocked"}.items()): 2,
}
# The part of these counts recorder.py serves as well, under the API server's job.
API_COORDINATORS = {
    frozenset(zip(("swarm_id", "phase", "status"), labels)): count
    for labels, count in COORDINATOR_COUNTS.items()}
# recording rule: (label, its values in the result). The recorder observes durations in s1
# and s2 and latencies of "ack" and "wake" signals, and counts c4 "timeout" heartbeat failures
# and c5 "blocking" timeouts; the exporter adds c4 "stale" and c6 "missing" from Redis.
RECORDED_LABELS = {
    "blocking:duration:p95": ("swarm_id", {"s1", "s2"}),
    "blocking:duration:p99": ("swarm_id", {"s1", "s2"}),
    "blocking:duration_over_30m:ratio": ("swarm_id", {"s1", "s2"}),
    "signal:latency:p50": ("signal_type", {"ack", "wake"}),
    "signal:latency:p95": ("signal_type", {"ack", "wake"}),
    "signal:latency:p99": ("signal_type", {"ack", "wake"}),
    "swarm:blocking_coordinators_active:sum": ("swarm_id", {"s1"}),
    "coordinator:heartbeat_failures:rate5m": ("failure_type", {"timeout", "stale", "missing"}),
    "coordinator:timeout_events:rate5m": ("timeout_type", {"blocking"}),
}
# alert: the label sets its expression yields (less the metric name). Each is also what the
# alert shows as pending: every hold time is 2 minutes or more, longer than this module runs.
ALERT_RESULTS = {
    # Quiet by design: s1 has 3 active coordinators and s2 none, against a threshold of 10.
    "HighBlockingCoordinators": [],
    # s2's waits all take 2400 s, beyond the highest finite bucket, so its P95 reads 1800 s;
    # s1's end within 45 s.
    "HighBlockingDuration": [{"swarm_id": "s2"}],
    # "wake" signals take 7 s, "ack" signals at most 0.3 s.
    "HighSignalLatency": [{"signal_type": "wake"}],
    # The recorder counts 10 "timeout" failures a second (for c4); the exporter's stale (c4)
    # and missing (c6) heartbeats count once each, far below 0.1/s for their types.
    # rate(...[5m]) over a few seconds of samples still divides by 300 s, so the timeout rate
    # passes 0.1/s only after about 3 s of scrapes; the checks poll until then.
    "HeartbeatFailures": [{"failure_type": "timeout"}],
    "TimeoutEvents": [{"timeout_type": "blocking"}],
    # s2: every wait over 1800 s, and c5 started two hours ago; s1's oldest is a minute old.
    "StuckCoordinator": [{"swarm_id": "s2", "reason": "slow_completions"},
                         {"swarm_id": "s2", "reason": "still_blocking"}],
}
# What Grafana puts in place of its variables before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "5m"}
# The Swarm selector set to "All" (its allValue) and to both swarms picked by hand.
SWARM_SELECTIONS = {"all": ".*", "s1+s2": "(s1|s2)"}

def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)

def shipped_jobs():
    """job name: metrics path, of every scrape job in the shipped prometheus.yml."""
    return {job["job_name"]: job.get("metrics_path", "/metrics")
            for job in load_yaml(CONFIG)["scrape_configs"]}

def rules(path):
    return [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]

def recording_rules():
    return {rule["record"]: rule["expr"] for rule in rules(RECORDING)}

def alert_rules():
    return {rule["alert"]: rule["expr"] for rule in rules(ALERTS)}

def dashboard_queries():
    with open(DASHBOARD, encoding="utf-8") as handle:
        board = json.load(handle)
    return {f"{panel['title']} {target['refId']}": target["expr"]
            for panel in board["panels"] for target in panel["targets"]}

def grafana_expand(expr, swarm):
    for variable, value in [("${swarm}", swarm), ("$swarm", swarm), *GRAFANA_VARIABLES.items()]:
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"a Grafana variable is left in {expr}"
    return expr

def label_sets(result, *dropped):
    """The label sets of a vector result, without __name__ and the given labels."""
    drop = {"__name__", *dropped}
    return sorted((sorted((k, v) for k, v in series["metric"].items() if k not in drop)
                   for series in result))

def as_label_sets(dicts):
    return sorted(sorted(d.items()) for d in dicts)

def by_labels(result, *names):
    return {tuple(series["metric"].get(n) for n in names): float(series["value"][1])
            for series in result}

class Prometheus:
    """Prometheus on a free loopback port, storage in a temp dir, on the shipped config with
    each job's target replaced by its stand-in here and every interval shortened to 1 s."""

    def __init__(self, workdir, exporter_address, recorder_address):
        self.binary = shutil.which("prometheus")
        assert self.binary, "prometheus is not on PATH (Debian package: prometheus)"
        self.port = free_port()
        targets = {EXPORTER_JOB: exporter_address, API_JOB: recorder_address,
                   SELF_JOB: f"127.0.0.1:{self.port}"}
        config = load_yaml(CONFIG)
        jobs = config["scrape_configs"]
        assert {job["job_name"] for job in jobs} == set(targets), "a shipped job has no target"
        for job in jobs:
            job["static_configs"] = [{"targets": [targets[job["job_name"]]]}]
        config["global"] = {"scrape_interval": "1s", "scrape_timeout": "1s",
                            "evaluation_interval": "1s"}
        config["rule_files"] = [str((CONFIG.parent / name).resolve())
                                for name in config["rule_files"]]
        self.config_file = workdir / "prometheus.yml"
        self.config_file.write_text(yaml.safe_dump(config), encoding="utf-8")
        self.log_file = workdir / "prometheus.log"
        self.process = None
        self.command = [
            self.binary, f"--config.file={self.config_file}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}"]
        self.deadline = None

    def start(self):
        with open(self.log_file, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._ready, timeout=60, interval=0.2, what="Prometheus to be ready")
        self.deadline = time.monotonic() + DEADLINE_SECONDS

    def _ready(self):
        if self.process.poll() is not None:
            raise AssertionError(f"prometheus exited early:\n{self.log()}")
        try:
            with urllib.request.urlopen(self.url("/-/ready"), timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def log(self):
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def api(self, path, **params):
        """The decoded answer of an API call; an error answer (4xx/5xx) is returned too."""
        query = "?" + urllib.parse.urlencode(params) if params else ""
        try:
            with urllib.request.urlopen(self.url(path + query), timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.load(error)

    def query(self, expr):
        """The vector an instant query yields; fails the test on an evaluation error."""
        answer = self.api("/api/v1/query", query=expr)
        assert answer["status"] == "success", f"{expr}\n{answer}"
        assert answer["data"]["resultType"] == "vector", answer
        return answer["data"]["result"]

    def timeout(self, minimum=0.5):
        """Seconds left before the module deadline, but at least `minimum`."""
        return max(minimum, self.deadline - time.monotonic())

    def poll(self, predicate, what, minimum=0.5):
        """wait_for, bounded by the module deadline."""
        return wait_for(predicate, timeout=self.timeout(minimum), interval=0.25, what=what)

    def latest(self, fetch, good):
        """Calls fetch() until good(its answer) holds or the wait ends; the last answer."""
        end = time.monotonic() + self.timeout()
        while True:
            answer = fetch()
            if good(answer) or time.monotonic() >= end:
                return answer
            time.sleep(0.25)

    def poll_query(self, expr, accept):
        """Queries until accept(result) holds or the wait ends; the last result."""
        return self.latest(lambda: self.query(expr), accept)

class Recorder:
    """recorder.py in its own process; its address comes from its "listening" line."""

    def __init__(self, workdir):
        self.log_file = workdir / "recorder.log"
        with open(self.log_file, "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(RECORDER), str(free_port()), str(BUILD_DIR),
                 "--seconds", "300"], stdout=log, stderr=subprocess.STDOUT)
        try:
            port = wait_for(self._port, timeout=20, what="recorder.py to listen")
        except AssertionError:
            self.stop()
            raise
        self.address = f"127.0.0.1:{port}"

    def _port(self):
        if self.process.poll() is not None:
            raise AssertionError(f"recorder.py exited early:\n{self.log()}")
        for line in self.log().splitlines():
            if line.startswith("listening "):
                return int(line.split()[1])
        return None

    def log(self):
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        return self.process.returncode

@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="cfn-prometheus-e2e-") as path:
        yield Path(path)

@pytest.fixture(scope="module")
def coordinators_in_redis(workdir):
    (workdir / "redis").mkdir()
    server = RedisServer(workdir / "redis")
    server.start()
    try:
        now_ms = int(time.time() * 1000)
        values = {}
        for coord, (swarm, phase, status, age) in COORDINATORS.items():
            values[f"swarm:{swarm}:blocking:{coord}"] = json.dumps({
                "swarmId": swarm, "coordinatorId": coord, "status": status,
                "startTime": now_ms - age * 1000, "iteration": 3, "phase": phase})
        for coord, age in HEARTBEAT_AGES.items():
            values[f"blocking:heartbeat:{coord}"] = json.dumps({
                "coordinatorId": coord, "lastHeartbeat": now_ms - age * 1000, "iteration": 3})
        server.mset(values)
        yield server
    finally:
        server.stop()

@pytest.fixture(scope="module")
def exporter(coordinators_in_redis):
    started = Exporter(["--plugin=redis", f"--plugin.redis.url={coordinators_in_redis.url}",
                        "--plugin.redis.heartbeat_timeout=1h"])
    try:
        yield started
    finally:
        started.stop()

@pytest.fixture(scope="module")
def recorder(workdir):
    started = Recorder(workdir)
    try:
        yield started
    finally:
        started.stop()

@pytest.fixture(scope="module")
def prometheus(workdir, exporter, recorder):
    (workdir / "prometheus").mkdir()
    server = Prometheus(workdir / "prometheus", exporter.address, recorder.address)
    try:
        server.start()
        yield server
    finally:
        server.stop()

@pytest.fixture(scope="module")
def settled(prometheus):
    """Waits for three scrapes of each target, then for two more evaluations of each rule
    group: rates then have samples to work on, and an empty answer means "no", not "not yet"."""
    three_scrapes = "count_over_time(up[5m]) >= 3"
    # Its own minimum wait: tests that failed before may have used up the module deadline.
    prometheus.poll(lambda: len(prometheus.query(three_scrapes)) == len(shipped_jobs()),
                    "three scrapes of each target", minimum=20)
    seen = {}

    def evaluated_twice_more():
        for group in prometheus.api("/api/v1/rules")["data"]["groups"]:
            seen.setdefault(group["file"], set()).add(group["lastEvaluation"])
        return len(seen) == 2 and all(len(times) >= 3 for times in seen.values())

    prometheus.poll(evaluated_twice_more, "two evaluations of each rule group", minimum=20)
    return prometheus

def test_prometheus_is_installed():
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not on PATH (Debian package: prometheus)"
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "prometheus, version 2." in version.stdout + version.stderr

def test_every_shipped_job_is_scraped_and_up(prometheus, exporter, recorder):
    jobs = shipped_jobs()

    def all_up():
        targets = prometheus.api("/api/v1/targets")["data"]["activeTargets"]
        return len(targets) == len(jobs) and all(t["health"] == "up" for t in targets) and targets

    targets = prometheus.poll(all_up, "every target to be up")
    found = {t["labels"]["job"]: (t["scrapeUrl"], t["lastError"]) for t in targets}
    assert found == {
        EXPORTER_JOB: (exporter.url(jobs[EXPORTER_JOB]), ""),
        API_JOB: (f"http://{recorder.address}{jobs[API_JOB]}", ""),
        SELF_JOB: (prometheus.url(jobs[SELF_JOB]), ""),
    }
    assert jobs[EXPORTER_JOB] == jobs[API_JOB] == "/prometheus/metrics"

def test_up_is_1_for_every_job(prometheus):
    result = prometheus.poll_query("up", lambda r: len(r) == 3)
    assert by_labels(result, "job") == {(EXPORTER_JOB,): 1, (API_JOB,): 1, (SELF_JOB,): 1}

def test_coordinator_counts_are_exactly_what_redis_holds_and_the_api_was_told(prometheus):
    def counts(result):
        found = {}
        for series in result:
            labels = frozenset((k, series["metric"][k]) for k in ("swarm_id", "phase", "status"))
            found.setdefault(series["metric"]["job"], {})[labels] = float(series["value"][1])
        return found

    result = prometheus.poll_query("blocking_coordinators_total", lambda r: len(counts(r)) == 2)
    assert counts(result) == {EXPORTER_JOB: EXPECTED_COORDINATORS, API_JOB: API_COORDINATORS}

def test_redis_collector_is_up(prometheus):
    expr = 'cfn_collector_up{collector="redis"}'
    result = prometheus.poll_query(expr, bool)
    assert [float(series["value"][1]) for series in result] == [1.0]

def test_oldest_coordinator_age_follows_start_times(prometheus):
    result = prometheus.poll_query("blocking_oldest_coordinator_age_seconds", lambda r: len(r) == 2)
    ages = by_labels(result, "swarm_id")
    # The oldest of s1 (c4) started 60 s before the keys were written, of s2 (c5) 7200 s.
    assert 60 <= ages[("s1",)] < 60 + 300, ages
    assert 7200 <= ages[("s2",)] < 7200 + 300, ages

def test_heartbeat_failures_from_redis_count_each_episode_once(prometheus):
    expr = 'heartbeat_failures_total{job="blocking-coordination"}'
    result = prometheus.poll_query(expr, lambda r: len(r) >= 2)
    # c4's heartbeat is two hours old and c6 has none; the others beat within the timeout.
    assert by_labels(result, "coordinator_id", "failure_type") == {
        ("c4", "stale"): 1, ("c6", "missing"): 1}

def test_rules_page_lists_every_rule_of_both_files_healthy(prometheus):
    def evaluated():
        groups = prometheus.api("/api/v1/rules")["data"]["groups"]
        loaded = [rule for group in groups for rule in group["rules"]]
        done = loaded and all(rule["health"] != "unknown" for rule in loaded)
        return done and groups

    groups = prometheus.poll(evaluated, "every rule to be evaluated once")
    assert {group["file"] for group in groups} == {str(RECORDING), str(ALERTS)}
    loaded = {rule["name"]: rule for group in groups for rule in group["rules"]}
    assert set(loaded) == set(recording_rules()) | set(alert_rules())
    problems = {name: (rule["health"], rule.get("lastError"))
                for name, rule in loaded.items()
                if rule["health"] != "ok" or rule.get("lastError")}
    assert problems == {}

@pytest.mark.parametrize("record", sorted(recording_rules()))
def test_recording_rule_expression_yields_the_expected_series(prometheus, record):
    label, values = RECORDED_LABELS[record]
    expr = recording_rules()[record]

    def found(result):
        return {series["metric"].get(label) for series in result}

    result = prometheus.poll_query(expr, lambda r: found(r) == values)
    assert found(result) == values

@pytest.mark.parametrize("record", sorted(recording_rules()))
def test_recording_rule_is_recorded(prometheus, record):
    label, values = RECORDED_LABELS[record]

    def found(result):
        return {series["metric"].get(label) for series in result}

    result = prometheus.poll_query(record, lambda r: found(r) == values)
    assert found(result) == values

def test_share_of_waits_over_30_minutes_is_0_in_s1_and_1_in_s2(settled):
    # Also shows that the le="1800" bucket the rule matches is the one the library writes.
    result = settled.query("blocking:duration_over_30m:ratio")
    assert by_labels(result, "swarm_id") == {("s1",): 0.0, ("s2",): 1.0}

def test_p95_blocking_duration_reads_the_highest_finite_bucket_for_s2(settled):
    durations = by_labels(settled.query("blocking:duration:p95"), "swarm_id")
    assert durations[("s2",)] == 1800.0
    assert 0 < durations[("s1",)] <= 60, durations

@pytest.mark.parametrize("alert", sorted(ALERT_RESULTS))
def test_alert_expression_yields_the_expected_series(settled, alert):
    # An empty expected list is an alert that must stay quiet here; the query must still
    # succeed (query() fails the test on any evaluation error).
    expected = as_label_sets(ALERT_RESULTS[alert])
    expr = alert_rules()[alert]
    result = settled.poll_query(expr, lambda r: label_sets(r) == expected)
    assert label_sets(result) == expected

@pytest.mark.parametrize("alert", sorted(ALERT_RESULTS))
def test_alert_state_follows_its_expression(settled, alert):
    expected = as_label_sets(ALERT_RESULTS[alert])
    state = "pending" if expected else "inactive"

    def alert_rule():
        groups = settled.api("/api/v1/rules", type="alert")["data"]["groups"]
        return next(rule for group in groups for rule in group["rules"] if rule["name"] == alert)

    def shown(rule):
        return label_sets([{"metric": a["labels"]} for a in rule["alerts"]], "alertname",
                          "severity")

    def as_expected(rule):
        return rule["state"] == state and shown(rule) == expected and all(
            a["state"] == state for a in rule["alerts"])

    rule = settled.latest(alert_rule, as_expected)
    assert rule["state"] == state, rule
    assert shown(rule) == expected, rule
    assert all(a["state"] == state for a in rule["alerts"]), rule

def test_swarm_selector_offers_both_swarms(settled):
    # The dashboard's variable query, label_values(blocking_coordinators_total, swarm_id),
    # is what Grafana asks of this endpoint.
    answer = settled.api("/api/v1/label/swarm_id/values",
                         **{"match[]": "blocking_coordinators_total"})
    assert answer["status"] == "success"
    assert answer["data"] == ["s1", "s2"]

@pytest.mark.parametrize("swarm", SWARM_SELECTIONS.values(), ids=SWARM_SELECTIONS.keys())
@pytest.mark.parametrize("name", sorted(dashboard_queries()))
def test_dashboard_query_returns_data(settled, name, swarm):
    expr = grafana_expand(dashboard_queries()[name], swarm)
    result = settled.poll_query(expr, bool)
    assert result, f"{name}: {expr} returned no data"

def test_active_coordinators_panel_shows_3(settled):
    # s1's 3 active coordinators are served by both jobs and counted once.
    queries = dashboard_queries()
    expr = grafana_expand(queries["Active Coordinators A"], SWARM_SELECTIONS["all"])
    assert [float(series["value"][1]) for series in settled.query(expr)] == [3.0]

def test_active_coordinators_panel_shows_0_for_a_swarm_with_none_active(settled):
    # s2's coordinators are all blocked; the Redis collector is up, so 0 rather than no data.
    expr = grafana_expand(dashboard_queries()["Active Coordinators A"], "s2")
    assert [float(series["value"][1]) for series in settled.query(expr)] == [0.0]

def test_status_panel_splits_coordinators_as_redis_holds_them(settled):
    # Both jobs serve s1's active and s2's blocked counts; each coordinator counts once.
    queries = dashboard_queries()
    expr = grafana_expand(queries["Coordinators by Status A"], SWARM_SELECTIONS["all"])
    assert by_labels(settled.query(expr), "status") == {("active",): 3, ("blocked",): 3}

def test_recorder_stops_cleanly_on_sigterm(workdir):
    # Its own short-lived instance, so the one Prometheus scrapes keeps running.
    (workdir / "second-recorder").mkdir()
    second = Recorder(workdir / "second-recorder")
    with urllib.request.urlopen(f"http://{second.address}/metrics", timeout=10) as response:
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        assert b"# TYPE timeout_events_total counter" in response.read()
    assert second.stop() == 0, second.log()
