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

def test_config_scrapes_the_exporter_every_15s():
    config = load_yaml(CONFIG)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert config["global"]["scrape_interval"] == "15s"
    exporter = jobs["blocking-coordination"]
    assert exporter["metrics_path"] == "/prometheus/metrics"
    assert exporter["static_configs"][0]["targets"] == ["localhost:3000"]
    assert "prometheus" in jobs

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
