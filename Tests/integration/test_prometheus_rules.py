"""Checks of the operations assets: Prometheus config, rules, rule tests, dashboard.

Validity is judged by promtool, the checker that ships with Prometheus, so what
passes here also loads in a real Prometheus. A missing promtool is a failure,
not a skip: these files are only trustworthy once promtool has read them.
"""
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PROMETHEUS = REPO / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
ALERTS = PROMETHEUS / "alerts" / "blocking-coordination-alerts.yml"
RECORDING = PROMETHEUS / "recording-rules.yml"
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
DASHBOARD = REPO / "grafana" / "blocking-coordination-dashboard.json"
OPERATIONS = REPO / "docs" / "operations.md"
# The labels Prometheus adds to what each shipped job scrapes.
EXPORTER = {"job": "blocking-coordination", "instance": "localhost:3000"}
API_SERVER = {"job": "blocking-coordination-api", "instance": "localhost:3001"}

SEVERITIES = {
    "HighBlockingCoordinators": "warning",
    "HighBlockingDuration": "warning",
    "HighSignalLatency": "warning",
    "HeartbeatFailures": "critical",
    "TimeoutEvents": "critical",
    "StuckCoordinator": "critical",
}
PANELS = {  # title: (panel type, unit)
    "Active Coordinators": ("gauge", "short"),
    "Blocking Duration P95/P99": ("timeseries", "s"),
    "Signal Latency P50/P95/P99": ("timeseries", "s"),
    "Heartbeat Failures by type": ("timeseries", "ops"),
    "Timeout Events by type": ("timeseries", "ops"),
    "Coordinators by Status": ("piechart", "short"),
}
# Grafana fills these in before a query reaches Prometheus; promtool needs values.
GRAFANA_VARIABLES = {
    "${swarm}": ".*", "$swarm": ".*",
    "$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h",
}

def run(*args):
    """Runs promtool; called inside each test so that its absence is a failure."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not on PATH (Debian package: prometheus)")
    return subprocess.run([promtool, *args], capture_output=True, text=True,
                          timeout=120, cwd=REPO)

def load_yaml(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)

def rules(path):
    return [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]

def alerts():
    return {rule["alert"]: rule for rule in rules(ALERTS)}

def dashboard():
    with open(DASHBOARD, encoding="utf-8") as handle:
        return json.load(handle)

def dashboard_queries():
    return [target["expr"] for panel in dashboard()["panels"] for target in panel["targets"]]

def panel_query(title, swarm=".*"):
    """The one query of a panel, as Grafana sends it with `swarm` picked in the selector."""
    [panel] = [panel for panel in dashboard()["panels"] if panel["title"] == title]
    [target] = panel["targets"]
    expr = target["expr"].replace("${swarm}", swarm).replace("$swarm", swarm)
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr

def series(name, labels, values):
    """One input series of a promtool rule test."""
    text = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{text}}}", "values": values}

def check_promql(tmp_path, expressions):
    """Runs promtool check rules on the expressions, each as a recording rule."""
    group = {"name": "dashboard-queries", "rules": [
        {"record": f"dashboard_query_{n}", "expr": expr}
        for n, expr in enumerate(expressions)]}
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [group]}), encoding="utf-8")
    return run("check", "rules", str(path))

def expand_recorded(expr):
    """Replaces each recorded series name in expr by the expression behind it."""
    for rule in rules(RECORDING):
        body = f"({rule['expr']})"  # a function, so backslashes in it stay literal
        expr = re.sub(re.escape(rule["record"]) + r"(?![\w:])", lambda _: body, expr)
    return expr

def test_promtool_is_installed():
    assert shutil.which("promtool"), "promtool is not on PATH (Debian package: prometheus)"

def test_promtool_accepts_the_prometheus_config():
    result = run("check", "config", str(CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid prometheus config file" in result.stdout

def test_config_scrapes_the_exporter_and_the_api_server_every_15s():
    # The exporter serves what it derives from Redis; durations, latencies and timeouts are
    # recorded by coordinators, through the API server (or another process using the library).
    config = load_yaml(CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert config["global"]["scrape_interval"] == "15s"
    for labels in (EXPORTER, API_SERVER):
        job = jobs[labels["job"]]
        assert job["metrics_path"] == "/prometheus/metrics"
        assert job["static_configs"][0]["targets"] == [labels["instance"]]
    assert set(jobs) == {EXPORTER["job"], API_SERVER["job"], "prometheus"}

def test_operations_guide_names_every_scrape_job():
    text = OPERATIONS.read_text(encoding="utf-8")
    missing = [job["job_name"] for job in load_yaml(CONFIG)["scrape_configs"]
               if f"`{job['job_name']}`" not in text]
    assert missing == []

def test_config_loads_both_rule_files_by_relative_path():
    loaded = {(CONFIG.parent / name).resolve() for name in load_yaml(CONFIG)["rule_files"]}
    assert loaded == {ALERTS.resolve(), RECORDING.resolve()}

@pytest.mark.parametrize("path", [ALERTS, RECORDING], ids=["alerts", "recording"])
def test_promtool_accepts_the_rule_file(path):
    result = run("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout

@pytest.mark.parametrize("path", RULE_TESTS, ids=[p.name for p in RULE_TESTS])
def test_rule_unit_tests_pass(path):
    result = run("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout and "FAILED" not in result.stdout

def test_alert_file_defines_the_six_alerts_with_their_severity():
    found = {name: rule["labels"]["severity"] for name, rule in alerts().items()}
    assert found == SEVERITIES

@pytest.mark.parametrize("name", sorted(SEVERITIES))
def test_alert_tells_where_how_bad_and_what_to_do(name):
    annotations = alerts()[name]["annotations"]
    assert annotations["summary"].strip()
    assert "$value" in annotations["description"]
    assert "$labels." in annotations["description"]
    assert len(annotations["action"].split()) >= 10, "action should tell the operator what to do"

def test_recording_rules_include_the_published_names():
    names = {rule["record"] for rule in rules(RECORDING)}
    assert {"blocking:duration:p95", "signal:latency:p99"} <= names

def test_every_recording_rule_has_expected_values_in_a_rule_test():
    checked = set()
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for test in case.get("promql_expr_test", []):
                if test.get("exp_samples"):
                    checked.add(test["expr"].strip())
    missing = {rule["record"] for rule in rules(RECORDING)} - checked
    assert not missing, f"no exp_samples for {sorted(missing)}"

@pytest.mark.parametrize("name", sorted(SEVERITIES))
def test_every_alert_is_tested_both_firing_and_quiet(name):
    firing, quiet = 0, 0
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for test in case.get("alert_rule_test", []):
                if test["alertname"] == name:
                    firing += bool(test.get("exp_alerts"))
                    quiet += not test.get("exp_alerts")
    assert firing and quiet, f"{name}: {firing} firing and {quiet} quiet checks"

@pytest.mark.parametrize("name, label", [("HeartbeatFailures", "failure_type"),
                                         ("TimeoutEvents", "timeout_type")])
def test_rate_alert_judges_the_fleet_and_names_the_query_listing_coordinators(
        tmp_path, name, label):
    # The exporter counts at most one stale or missing failure per heartbeat_timeout (30 s)
    # and coordinator, so a per-coordinator threshold of 0.1/s could never be reached.
    rule = alerts()[name]
    assert re.fullmatch(rf"sum by \({label}\) \(coordinator:\w+:rate5m\) > 0\.1",
                        rule["expr"].strip()), rule["expr"]
    assert f"$labels.{label}" in rule["annotations"]["description"]
    [query] = re.findall(r"`([^`]+)`", rule["annotations"]["action"])
    assert query.startswith("topk(10, sum by (coordinator_id) (increase("), query
    query = query.replace(f"{{{{ $labels.{label} }}}}", "stale")
    assert "{{" not in query, query
    result = check_promql(tmp_path, [query])
    assert result.returncode == 0, result.stdout + result.stderr

def test_every_sum_of_coordinator_counts_takes_each_count_once():
    # The exporter and the API server can both serve a (swarm_id, phase, status) count; each
    # reading must first keep one value per count, whatever job or instance serves it.
    expressions = [rule["expr"] for rule in rules(RECORDING) + rules(ALERTS)]
    expressions += dashboard_queries()
    readings = 0
    for expr in expressions:
        for match in re.finditer(r"\bblocking_coordinators_total\b", expr):
            before = " ".join(expr[:match.start()].split())
            assert re.search(r"max (by|without) \([\w, ]*\) \($", before), expr
            readings += 1
    assert readings >= 3

def test_stuck_coordinator_does_not_compare_a_capped_quantile():
    # histogram_quantile never answers above the highest finite bucket (1800 s),
    # so any branch comparing it with 1800 or more can never fire.
    expr = expand_recorded(alerts()["StuckCoordinator"]["expr"])
    for branch in re.split(r"\bor\b", expr):
        if "histogram_quantile" in branch:
            assert not re.search(r">=?\s*(1[89]\d\d|[2-9]\d{3}|\d{5,})\b", branch), branch
    assert "blocking_duration_seconds_count" in expr, "histogram part must read the +Inf tail"
    assert "blocking_oldest_coordinator_age_seconds" in expr

def test_stuck_coordinator_rule_tests_fire_from_both_halves():
    reasons = set()
    for path in RULE_TESTS:
        for case in load_yaml(path)["tests"]:
            for test in case.get("alert_rule_test", []):
                if test["alertname"] == "StuckCoordinator":
                    reasons |= {a["exp_labels"]["reason"] for a in test.get("exp_alerts") or []}
    assert reasons == {"slow_completions", "still_blocking"}

def test_dashboard_asks_for_a_prometheus_data_source_at_import():
    board = dashboard()
    inputs = {item["name"]: item for item in board["__inputs"]}
    assert inputs["DS_PROMETHEUS"]["type"] == "datasource"
    assert inputs["DS_PROMETHEUS"]["pluginId"] == "prometheus"
    sources = [panel["datasource"] for panel in board["panels"]]
    sources += [t["datasource"] for panel in board["panels"] for t in panel["targets"]]
    sources += [v["datasource"] for v in board["templating"]["list"]]
    assert all(s == {"type": "prometheus", "uid": "${DS_PROMETHEUS}"} for s in sources)

def test_dashboard_has_the_six_panels_with_their_types():
    found = {panel["title"]: panel["type"] for panel in dashboard()["panels"]}
    assert found == {title: kind for title, (kind, _) in PANELS.items()}

def test_dashboard_panels_carry_units():
    found = {p["title"]: p["fieldConfig"]["defaults"]["unit"] for p in dashboard()["panels"]}
    assert found == {title: unit for title, (_, unit) in PANELS.items()}

def test_dashboard_has_a_multi_value_swarm_variable():
    variables = {v["name"]: v for v in dashboard()["templating"]["list"]}
    swarm = variables["swarm"]
    query = swarm["query"]["query"] if isinstance(swarm["query"], dict) else swarm["query"]
    assert query == "label_values(blocking_coordinators_total, swarm_id)"
    assert swarm["multi"] is True and swarm["includeAll"] is True

def test_dashboard_filters_by_swarm_wherever_the_label_exists():
    # Series that carry swarm_id: the coordinator gauge and the duration rules.
    with_swarm = ("blocking_coordinators_total", "blocking:duration:")
    queries = [q for q in dashboard_queries() if any(name in q for name in with_swarm)]
    assert len(queries) >= 4
    for query in queries:
        assert 'swarm_id=~"$swarm"' in query, query

def test_dashboard_only_reads_recorded_names_that_exist():
    recorded = {rule["record"] for rule in rules(RECORDING)}
    used = {name for query in dashboard_queries()
            for name in re.findall(r"[a-z_]+:[a-z0-9_:]+", query)}
    assert used and used <= recorded, sorted(used - recorded)

def test_promql_check_rejects_a_broken_expression(tmp_path):
    # Guards the next test: the helper must be able to fail.
    assert check_promql(tmp_path, ["sum(rate(x[5m])"]).returncode != 0

def test_dashboard_queries_are_valid_promql(tmp_path):
    queries = []
    for query in dashboard_queries():
        for variable, value in GRAFANA_VARIABLES.items():
            query = query.replace(variable, value)
        assert "$" not in query, f"unknown Grafana variable in {query}"
        queries.append(query)
    assert len(queries) >= len(PANELS)
    result = check_promql(tmp_path, queries)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout

def test_coordinator_panels_count_each_coordinator_once_and_show_0_only_with_redis_read(
        tmp_path):
    # Both jobs serve alpha's counts, beta's come from the API server only, gamma's from the
    # exporter only; nothing is active in gamma.
    both = (EXPORTER, API_SERVER)
    counts = [("alpha", "plan", "active", 4, both), ("alpha", "execute", "active", 7, both),
              ("alpha", "execute", "blocked", 3, both),
              ("beta", "plan", "active", 2, (API_SERVER,)),
              ("gamma", "plan", "blocked", 5, (EXPORTER,))]

    def coordinators(exporter_serves):
        inputs = []
        for swarm, phase, status, count, sources in counts:
            labels = {"swarm_id": swarm, "phase": phase, "status": status}
            inputs += [series("blocking_coordinators_total", {**job, **labels}, f"{count}x10")
                       for job in sources if job is API_SERVER or exporter_serves]
        return inputs

    def collector_up(value):
        return [series("cfn_collector_up", {**EXPORTER, "collector": "redis"}, f"{value}x10")]

    def check(expr, samples):
        return {"expr": expr, "eval_time": "5m",
                "exp_samples": [{"labels": labels, "value": value}
                                for labels, value in samples]}

    active, by_status = "Active Coordinators", "Coordinators by Status"
    tests = [
        {"name": "Redis read", "interval": "1m",
         "input_series": coordinators(True) + collector_up(1),
         "promql_expr_test": [
             check(panel_query(active), [("{}", 13)]),
             check(panel_query(active, "alpha"), [("{}", 11)]),
             check(panel_query(active, "gamma"), [("{}", 0)]),
             check(panel_query(by_status), [('{status="active"}', 13),
                                            ('{status="blocked"}', 8)])]},
        {"name": "Redis collector down", "interval": "1m",
         "input_series": coordinators(False) + collector_up(0),
         "promql_expr_test": [check(panel_query(active, "beta"), [("{}", 2)]),
                              check(panel_query(active, "gamma"), [])]},
        {"name": "exporter not scraped", "interval": "1m",
         "input_series": coordinators(False),
         "promql_expr_test": [check(panel_query(active, "gamma"), [])]},
    ]
    path = tmp_path / "dashboard-test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [], "tests": tests}), encoding="utf-8")
    result = run("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
