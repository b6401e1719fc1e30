"""The Redis collector plugin, through the real exporter against real redis-server processes."""
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import BUILD_DIR, sample_value, samples, wait_for

UP = {"collector": "redis"}

def coordinator(swarm=None, coord="c", phase=None, status=None, start=None):
    """A coordinator value as coordinators write it; None leaves the field out."""
    fields = {"swarmId": swarm, "coordinatorId": coord, "status": status, "startTime": start,
              "iteration": 1, "phase": phase}
    return json.dumps({k: v for k, v in fields.items() if v is not None})

def heartbeat(coord, age_seconds):
    last = int((time.time() - age_seconds) * 1000)
    return json.dumps({"coordinatorId": coord, "lastHeartbeat": last, "iteration": 1})

def labels(swarm, phase, status):
    return frozenset({"swarm_id": swarm, "phase": phase, "status": status}.items())

def start_plugin(start_exporter, url, *options):
    return start_exporter("--plugin=redis", f"--plugin.redis.url={url}", *options)

def run_exporter(*args, env=None):
    """Runs cfn-exporter expecting it to stop on its own (bad flags end it at once)."""
    full_env = {k: v for k, v in os.environ.items() if k != "CFN_REDIS_URL"}
    full_env.update(env or {})
    return subprocess.run(
        [str(BUILD_DIR / "cfn-exporter"), "--web.listen-address=127.0.0.1:0", *args],
        capture_output=True, text=True, timeout=30, env=full_env)

def log_has(exporter, text):
    return wait_for(lambda: text in exporter.log(), timeout=5, what=f"{text!r} in the log")

def by_key_type(body, name):
    """A family labelled by key_type as {key_type: value}."""
    return {dict(k)["key_type"]: v for k, v in samples(body, name).items()}

def log_lines(exporter, text):
    return [line for line in exporter.log().splitlines() if text in line]

@pytest.fixture
def extra_redis(tmp_path):
    """Starts a redis-server with extra arguments; returns a redis-cli runner for it."""
    processes = []

    def start(*server_args, cli_args=()):
        process = subprocess.Popen(
            [shutil.which("redis-server"), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(tmp_path), *server_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        processes.append(process)

        def cli(*command):
            return subprocess.run(
                ["redis-cli", "--no-auth-warning", *cli_args, *command], capture_output=True,
                text=True, timeout=30, check=True).stdout.strip()

        def ping():
            try:
                return cli("PING") == "PONG"
            except (OSError, subprocess.SubprocessError):
                return False

        wait_for(ping, what="the extra redis-server")
        return cli

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)

def test_coordinators_with_the_same_labels_add_up(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:c1": coordinator("s1", "c1", "waiting", "active"),
        "swarm:s1:blocking:c2": coordinator("s1", "c2", "waiting", "active"),
        "swarm:s1:blocking:c3": coordinator("s1", "c3", "waiting", "completed"),
        "swarm:s2:blocking:c4": coordinator("s2", "c4", "signal", "active"),
        "unrelated:key": coordinator("s9", "c9", "waiting", "active"),
    })
    exporter = start_plugin(start_exporter, redis_server.url)
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == {
        labels("s1", "waiting", "active"): 2,
        labels("s1", "waiting", "completed"): 1,
        labels("s2", "signal", "active"): 1,
    }
    assert sample_value(body, "cfn_collector_up", UP) == 1

def test_missing_fields_read_as_unknown_and_active(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:c1": "{}",
        # The contract reads a missing swarmId as unknown, even though the key names a swarm.
        "swarm:s1:blocking:c2": json.dumps({"coordinatorId": "c2"}),
        "swarm:s1:blocking:c3": json.dumps({"swarmId": "s1", "coordinatorId": "c3"}),
    })
    body = start_plugin(start_exporter, redis_server.url).scrape()
    assert samples(body, "blocking_coordinators_total") == {
        labels("unknown", "unknown", "active"): 2,
        labels("s1", "unknown", "active"): 1,
    }

def test_values_that_are_not_json_objects_are_skipped_counted_and_logged(redis_server,
                                                                         start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:good": coordinator("s1", "good", "p", "active"),
        "swarm:s1:blocking:garbage": "not json at all",
        "swarm:s1:blocking:array": "[1, 2, 3]",
    })
    exporter = start_plugin(start_exporter, redis_server.url)
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == {labels("s1", "p", "active"): 1}
    assert samples(body, "cfn_redis_parse_errors_total") == {
        frozenset({"key_type": "coordinator"}.items()): 2,
        frozenset({"key_type": "heartbeat"}.items()): 0,
        frozenset({"key_type": "timeout_counter"}.items()): 0,
    }
    assert sample_value(body, "cfn_collector_up", UP) == 1
    log_has(exporter, "key=swarm:s1:blocking:array")
    warnings = [line for line in exporter.log().splitlines()
                if 'msg="skipping value that is not a JSON object"' in line]
    assert len(warnings) == 2, warnings
    assert all("level=warn" in line for line in warnings), warnings
    assert any("key=swarm:s1:blocking:garbage" in line for line in warnings), warnings

def test_a_series_disappears_once_its_key_is_deleted(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active"),
        "swarm:s2:blocking:c2": coordinator("s2", "c2", "p", "active", start=1_000),
    })
    exporter = start_plugin(start_exporter, redis_server.url)
    body = exporter.scrape()
    assert set(samples(body, "blocking_coordinators_total")) == {
        labels("s1", "p", "active"), labels("s2", "p", "active")}
    assert sample_value(body, "blocking_oldest_coordinator_age_seconds", {"swarm_id": "s2"})
    redis_server.cli("DEL", "swarm:s2:blocking:c2")
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == {labels("s1", "p", "active"): 1}
    assert samples(body, "blocking_oldest_coordinator_age_seconds") == {}

@pytest.mark.parametrize("options", [(), ("--plugin.redis.scan_count=7",)],
                         ids=["default_scan_count", "scan_count_7"])
def test_thousands_of_keys_are_counted_exactly(redis_server, start_exporter, options):
    swarms, phases, per_group = 4, 3, 140  # 1,680 coordinators
    values, expected = {}, {}
    for s in range(swarms):
        for p in range(phases):
            status = "active" if p < 2 else "waiting"
            expected[labels(f"swarm-{s}", f"phase-{p}", status)] = per_group
            for n in range(per_group):
                coord = f"c-{s}-{p}-{n}"
                values[f"swarm:swarm-{s}:blocking:{coord}"] = coordinator(
                    f"swarm-{s}", coord, f"phase-{p}", status)
                values[f"blocking:heartbeat:{coord}"] = heartbeat(coord, 0)
    for n in range(300):  # keys the pattern must leave out
        values[f"other:{n}"] = coordinator("decoy", f"d{n}", "p", "active")
    redis_server.mset(values)
    exporter = start_plugin(start_exporter, redis_server.url, *options)
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == expected
    assert samples(body, "heartbeat_failures_total") == {}
    assert sample_value(body, "cfn_collector_up", UP) == 1

def test_oldest_age_per_swarm_leaves_out_finished_coordinators(redis_server, start_exporter):
    now_ms = int(time.time() * 1000)
    minute = 60_000
    redis_server.mset({
        "swarm:s1:blocking:old": coordinator("s1", "old", "p", "active", now_ms - 40 * minute),
        "swarm:s1:blocking:new": coordinator("s1", "new", "p", "active", now_ms - 10 * minute),
        "swarm:s1:blocking:done": coordinator("s1", "done", "p", "completed",
                                              now_ms - 120 * minute),
        "swarm:s1:blocking:untimed": coordinator("s1", "untimed", "p", "active"),
        "swarm:s2:blocking:late": coordinator("s2", "late", "p", "timeout", now_ms - 90 * minute),
        "swarm:s2:blocking:failed": coordinator("s2", "failed", "p", "error", now_ms - minute),
        "swarm:s3:blocking:fresh": coordinator("s3", "fresh", "p", "waiting", now_ms - 5_000),
    })
    body = start_plugin(start_exporter, redis_server.url).scrape()
    ages = samples(body, "blocking_oldest_coordinator_age_seconds")
    assert set(ages) == {frozenset({"swarm_id": "s1"}.items()),
                         frozenset({"swarm_id": "s3"}.items())}
    assert 2400 <= ages[frozenset({"swarm_id": "s1"}.items())] < 2500
    assert 5 <= ages[frozenset({"swarm_id": "s3"}.items())] < 100

def test_heartbeat_failures_count_once_per_episode(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:quiet": coordinator("s1", "quiet", "p", "active"),
        "swarm:s1:blocking:absent": coordinator("s1", "absent", "p", "active"),
        "swarm:s1:blocking:lively": coordinator("s1", "lively", "p", "active"),
        "blocking:heartbeat:quiet": heartbeat("quiet", 60),
        "blocking:heartbeat:lively": heartbeat("lively", 1),
        "blocking:heartbeat:orphan": heartbeat("orphan", 600),  # no coordinator: not read
    })
    exporter = start_plugin(start_exporter, redis_server.url,
                            "--plugin.redis.heartbeat_timeout=30s")

    def failures():
        found = samples(exporter.scrape(), "heartbeat_failures_total")
        return {(dict(k)["coordinator_id"], dict(k)["failure_type"]): v for k, v in found.items()}

    first = {("quiet", "stale"): 1, ("absent", "missing"): 1}
    assert failures() == first
    assert failures() == first  # the same episodes: not counted again

    # A fresh heartbeat ends the episodes; going quiet again starts new ones.
    redis_server.mset({"blocking:heartbeat:quiet": heartbeat("quiet", 0),
                       "blocking:heartbeat:absent": heartbeat("absent", 0)})
    assert failures() == first
    redis_server.mset({"blocking:heartbeat:quiet": heartbeat("quiet", 45)})
    redis_server.cli("DEL", "blocking:heartbeat:absent")
    second = {("quiet", "stale"): 2, ("absent", "missing"): 2}
    assert failures() == second
    assert failures() == second

def failure_counts(body):
    """heartbeat_failures_total as {(coordinator_id, failure_type): value}."""
    found = samples(body, "heartbeat_failures_total")
    return {(dict(k)["coordinator_id"], dict(k)["failure_type"]): v for k, v in found.items()}

def test_finished_coordinators_are_neither_missing_nor_stale(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:done": coordinator("s1", "done", "p", "completed"),
        "swarm:s1:blocking:late": coordinator("s1", "late", "p", "timeout"),
        "swarm:s1:blocking:failed": coordinator("s1", "failed", "p", "error"),
        "swarm:s1:blocking:waiting": coordinator("s1", "waiting", "p", "waiting"),
        "swarm:s1:blocking:stuck": coordinator("s1", "stuck", "p", "active"),
        "blocking:heartbeat:late": heartbeat("late", 600),
        "blocking:heartbeat:failed": "not json",  # not read, so not a parse error either
        "blocking:heartbeat:stuck": heartbeat("stuck", 600),
    })
    exporter = start_plugin(start_exporter, redis_server.url,
                            "--plugin.redis.heartbeat_timeout=30s")
    body = exporter.scrape()
    assert failure_counts(body) == {("waiting", "missing"): 1, ("stuck", "stale"): 1}
    assert sample_value(body, "cfn_redis_parse_errors_total", {"key_type": "heartbeat"}) == 0
    # Finishing ends the checks: a coordinator that completes is not counted afterwards.
    redis_server.mset({"swarm:s1:blocking:stuck": coordinator("s1", "stuck", "p", "completed"),
                       "blocking:heartbeat:stuck": heartbeat("stuck", 700)})
    assert failure_counts(exporter.scrape()) == {("waiting", "missing"): 1, ("stuck", "stale"): 1}

@pytest.mark.parametrize("forget_after", ["1s", "0"])
def test_failure_series_of_vanished_coordinators_are_forgotten(redis_server, start_exporter,
                                                               forget_after):
    redis_server.mset({
        "swarm:s1:blocking:gone": coordinator("s1", "gone", "p", "active"),
        "swarm:s1:blocking:stays": coordinator("s1", "stays", "p", "active"),
        "blocking:heartbeat:stays": heartbeat("stays", 600),
        # The same coordinator id under two swarms (each key counts its own episode): its
        # series stays while either key does.
        "swarm:s1:blocking:shared": coordinator("s1", "shared", "p", "active"),
        "swarm:s2:blocking:shared": coordinator("s2", "shared", "p", "active"),
    })
    exporter = start_plugin(start_exporter, redis_server.url,
                            f"--plugin.redis.forget_after={forget_after}")
    everything = {("gone", "missing"): 1, ("stays", "stale"): 1, ("shared", "missing"): 2}
    started = time.monotonic()
    assert failure_counts(exporter.scrape()) == everything
    redis_server.cli("DEL", "swarm:s1:blocking:gone", "swarm:s1:blocking:shared")
    body = exporter.scrape()
    if time.monotonic() - started < 0.9:  # gone for less than forget_after: still there
        assert failure_counts(body) == everything
    time.sleep(1.2)
    remaining = failure_counts(exporter.scrape())
    if forget_after == "0":
        assert remaining == everything
    else:
        assert remaining == {("stays", "stale"): 1, ("shared", "missing"): 2}
        # A coordinator that comes back starts from scratch.
        redis_server.mset({"swarm:s1:blocking:gone": coordinator("s1", "gone", "p", "active")})
        assert failure_counts(exporter.scrape())[("gone", "missing")] == 1

def test_json_is_read_strictly_and_completely(redis_server, start_exporter):
    deep = "[" * 300 + "]" * 300
    redis_server.mset({
        # Escapes, non-ASCII text, nesting, odd spacing and a repeated member: yajl reports
        # both members and the later one overwrites the earlier, so the last one wins.
        "swarm:s:blocking:escaped": '{"swarmId":"sw\\u00e9\\ud83d\\ude00\\"q\\\\","phase":'
                                    '"a\\/b","status":"x"}',
        "swarm:s:blocking:utf8": '{"swarmId":"\u00e9t\u00e9","phase":"p","status":"x"}',
        "swarm:s:blocking:nested": ' {\n "extra": [1, {"a": [true, false, null]}, -2.5e3],'
                                   '\t"swarmId" : "n", "phase": "p", "status": "x"} ',
        "swarm:s:blocking:twice": '{"swarmId":"first","swarmId":"second","phase":"p","status":"x"}',
        "swarm:s:blocking:typed": '{"swarmId":7,"phase":null,"status":""}',
        # Members that are not picked are only checked by yajl's grammar: U+0000, a number
        # too large for a double and deep nesting pass there (yajl keeps no depth limit).
        "swarm:s:blocking:lenient": '{"swarmId":"len","phase":"p","status":"x","note":"a\\u0000",'
                                    f'"iteration":1e400,"deep":{deep}}}',
        # yajl turns a lone high surrogate into "?" rather than refusing it.
        "swarm:s:blocking:high": '{"swarmId":"\\ud800h","phase":"p","status":"x"}',
        # An integer too long for 64 bits is still a number (read as the nearest double).
        "swarm:s:blocking:long": '{"swarmId":"big","phase":"p","status":"x",'
                                 '"startTime":123456789012345678901234567890}',
        # Not JSON objects, each for another reason.
        "swarm:s:blocking:truncated": '{"swarmId":"s"',
        "swarm:s:blocking:trailing": '{"swarmId":"s"} x',
        "swarm:s:blocking:unterminated": '{"swarmId":"s"} "x',
        "swarm:s:blocking:two": '{} {}',
        "swarm:s:blocking:single": "{'swarmId':'s'}",
        "swarm:s:blocking:comma": '{"swarmId":"s",}',
        "swarm:s:blocking:lone": '{"swarmId":"\\udc00"}',
        "swarm:s:blocking:nul": '{"swarmId":"a\\u0000b"}',
        "swarm:s:blocking:number": '{"startTime":01}',
        "swarm:s:blocking:huge": '{"swarmId":"h","startTime":1e400}',
        "swarm:s:blocking:string": '"just a string"',
        "swarm:s:blocking:empty": "",
    })
    # Bytes that yajl lets through but that are not UTF-8: an overlong "/" and a surrogate
    # (os.fsencode turns the lone surrogates of these arguments back into the raw bytes).
    redis_server.cli("SET", "swarm:s:blocking:overlong", '{"swarmId":"\udcc0\udcaf"}')
    redis_server.cli("SET", "swarm:s:blocking:surrogate", '{"phase":"\udced\udca0\udc80"}')
    body = start_plugin(start_exporter, redis_server.url).scrape()
    assert samples(body, "blocking_coordinators_total") == {
        labels('sw\u00e9\U0001F600"q\\', "a/b", "x"): 1,
        labels("\u00e9t\u00e9", "p", "x"): 1,
        labels("n", "p", "x"): 1,
        labels("second", "p", "x"): 1,
        labels("unknown", "unknown", "active"): 1,
        labels("len", "p", "x"): 1,
        labels("?h", "p", "x"): 1,
        labels("big", "p", "x"): 1,
    }
    # That start lies far in the future, so the age shows as 0.
    assert samples(body, "blocking_oldest_coordinator_age_seconds") == {
        frozenset({"swarm_id": "big"}.items()): 0}
    assert sample_value(body, "cfn_redis_parse_errors_total", {"key_type": "coordinator"}) == 14
    assert sample_value(body, "cfn_collector_up", UP) == 1

def test_heartbeat_values_that_are_not_json_objects_are_counted(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active"),
        "blocking:heartbeat:c1": "42",
    })
    exporter = start_plugin(start_exporter, redis_server.url)
    body = exporter.scrape()
    assert sample_value(body, "cfn_redis_parse_errors_total", {"key_type": "heartbeat"}) == 1
    assert samples(body, "heartbeat_failures_total") == {}
    log_has(exporter, "key=blocking:heartbeat:c1")

SKIPPED = 'msg="skipping value that is not a JSON object"'
NOT_AN_INTEGER = 'msg="skipping value that is not a non-negative integer"'

def test_each_bad_value_is_counted_and_logged_once(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:good": coordinator("s1", "good", "p", "active"),
        "blocking:heartbeat:good": heartbeat("good", 0),
        "swarm:s1:blocking:bad": "not json",
        # One heartbeat read for two coordinator keys with the same id: one bad value.
        "swarm:s1:blocking:shared": coordinator("s1", "shared", "p", "active"),
        "swarm:s2:blocking:shared": coordinator("s2", "shared", "p", "active"),
        "blocking:heartbeat:shared": "42",
        "metrics:timeout_events_total": "twelve",
    })
    exporter = start_plugin(start_exporter, redis_server.url)
    once = {"coordinator": 1, "heartbeat": 1, "timeout_counter": 1}
    for scrape in range(3):  # the same bad values stay: counted and logged at the first only
        body = exporter.scrape()
        assert by_key_type(body, "cfn_redis_parse_errors_total") == once, scrape
        assert by_key_type(body, "cfn_redis_invalid_values") == once, scrape
        assert sample_value(body, "cfn_collector_up", UP) == 1
    assert len(log_lines(exporter, "key=swarm:s1:blocking:bad")) == 1
    assert len(log_lines(exporter, "key=blocking:heartbeat:shared")) == 1
    assert len(log_lines(exporter, "key=metrics:timeout_events_total")) == 1
    assert len(log_lines(exporter, SKIPPED)) == 2 and len(log_lines(exporter, NOT_AN_INTEGER)) == 1

    # Another bad value in the same key counts again; a key that is readable again is
    # forgotten, so the same bad value coming back later counts again too.
    redis_server.mset({"swarm:s1:blocking:bad": "[1]", "blocking:heartbeat:shared":
                       heartbeat("shared", 0), "metrics:timeout_events_total": "12"})
    body = exporter.scrape()
    assert by_key_type(body, "cfn_redis_parse_errors_total") == {
        "coordinator": 2, "heartbeat": 1, "timeout_counter": 1}
    assert by_key_type(body, "cfn_redis_invalid_values") == {
        "coordinator": 1, "heartbeat": 0, "timeout_counter": 0}
    redis_server.mset({"blocking:heartbeat:shared": "42", "metrics:timeout_events_total": "twelve"})
    redis_server.cli("DEL", "swarm:s1:blocking:bad")
    for scrape in range(2):
        body = exporter.scrape()
        assert by_key_type(body, "cfn_redis_parse_errors_total") == {
            "coordinator": 2, "heartbeat": 2, "timeout_counter": 2}, scrape
        assert by_key_type(body, "cfn_redis_invalid_values") == {
            "coordinator": 0, "heartbeat": 1, "timeout_counter": 1}, scrape
    redis_server.cli("SET", "swarm:s1:blocking:bad", "[1]")  # deleted, then back: new again
    body = exporter.scrape()
    assert by_key_type(body, "cfn_redis_parse_errors_total")["coordinator"] == 3
    assert len(log_lines(exporter, "key=swarm:s1:blocking:bad")) == 3
    assert len(log_lines(exporter, "key=blocking:heartbeat:shared")) == 2
    assert len(log_lines(exporter, "key=metrics:timeout_events_total")) == 2

def test_warnings_are_capped_per_collection_with_a_summary(redis_server, start_exporter):
    redis_server.mset({f"swarm:s1:blocking:bad{n}": "not json" for n in range(15)})
    exporter = start_plugin(start_exporter, redis_server.url)
    body = exporter.scrape()
    assert by_key_type(body, "cfn_redis_parse_errors_total")["coordinator"] == 15
    summary = 'msg="more values were skipped than logged" plugin=redis count=5'
    log_has(exporter, summary)
    assert len(log_lines(exporter, SKIPPED)) == 10
    body = exporter.scrape()  # nothing new: no warning, no summary
    assert by_key_type(body, "cfn_redis_parse_errors_total")["coordinator"] == 15
    assert by_key_type(body, "cfn_redis_invalid_values")["coordinator"] == 15
    assert len(log_lines(exporter, SKIPPED)) == 10
    assert len(log_lines(exporter, "more values were skipped")) == 1

def test_the_memory_of_bad_values_is_bounded(redis_server, start_exporter):
    limit = 10_000  # BAD_VALUES_LIMIT in plugins/redis/bad_values.h
    redis_server.mset({f"swarm:s:blocking:b{n}": "not json" for n in range(limit)})
    exporter = start_plugin(start_exporter, redis_server.url)

    def counted():
        body = exporter.scrape()
        assert sample_value(body, "cfn_collector_up", UP) == 1
        return (sample_value(body, "cfn_redis_parse_errors_total", {"key_type": "coordinator"}),
                sample_value(body, "cfn_redis_invalid_values", {"key_type": "coordinator"}))

    assert counted() == (limit, limit)
    assert counted() == (limit, limit)  # all remembered
    redis_server.cli("SET", "swarm:s:blocking:one-more", "not json")
    total, current = counted()
    assert total >= limit + 1 and current == limit + 1
    # One more than the memory holds: some bad value was evicted and counts again.
    again, current = counted()
    assert again > total and current == limit + 1

OPENMETRICS = "application/openmetrics-text;version=1.0.0"

def timeout_counter(exporter):
    """cfn_redis_timeout_events_total and the time its series started (OpenMetrics _created),
    or None."""
    status, _, raw = exporter.get(headers={"Accept": OPENMETRICS})
    assert status == 200
    found = dict(re.findall(r"^cfn_redis_timeout_events_(total|created) (\S+)$", raw.decode(),
                            re.M))
    return (float(found["total"]), float(found["created"])) if found else None

def test_timeout_counter_mirrors_redis(redis_server, start_exporter):
    """The README: when the value goes down (Redis lost it), the counter restarts from the new
    value, as after a process restart; when the key is missing, the last value stays."""
    exporter = start_plugin(start_exporter, redis_server.url)
    assert timeout_counter(exporter) is None  # no key yet: no sample
    series_start = None
    for stored, restarts in [("5", True), ("9", False), ("9", False), ("3", True), ("0", True),
                             ("12", False)]:
        time.sleep(0.01)  # so that a series started anew has a later _created
        redis_server.cli("SET", "metrics:timeout_events_total", stored)
        value, created = timeout_counter(exporter)
        assert value == int(stored), f"after SET {stored}"
        if restarts:
            assert series_start is None or created > series_start, f"after SET {stored}"
            series_start = created
        else:
            assert created == series_start, f"after SET {stored}"

    redis_server.cli("SET", "metrics:timeout_events_total", "twelve")
    assert timeout_counter(exporter) == (12, series_start)  # a bad value changes nothing
    assert sample_value(exporter.scrape(), "cfn_redis_parse_errors_total",
                        {"key_type": "timeout_counter"}) == 1
    log_has(exporter, "key=metrics:timeout_events_total")

    redis_server.cli("DEL", "metrics:timeout_events_total")
    for _ in range(2):
        assert timeout_counter(exporter) == (12, series_start)  # missing: the last value stays
    time.sleep(0.01)
    redis_server.cli("SET", "metrics:timeout_events_total", "4")  # back, lower: a restart
    value, created = timeout_counter(exporter)
    assert value == 4 and created > series_start
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 1

def test_redis_down_then_back(redis_server, start_exporter):
    redis_server.mset({"swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active")})
    exporter = start_plugin(start_exporter, redis_server.url)
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 1

    redis_server.stop()
    status, _, raw = exporter.get()
    body = raw.decode()
    assert status == 200
    assert sample_value(body, "cfn_collector_up", UP) == 0
    assert samples(body, "blocking_coordinators_total") == {}  # no stale values
    log_has(exporter, "Redis connection failed:")

    redis_server.start()
    redis_server.mset({"swarm:s2:blocking:c2": coordinator("s2", "c2", "q", "waiting")})

    def recovered():
        text = exporter.scrape()
        return sample_value(text, "cfn_collector_up", UP) == 1 and text

    body = wait_for(recovered, timeout=10, interval=0.2, what="the collector to recover")
    assert samples(body, "blocking_coordinators_total") == {labels("s2", "q", "waiting"): 1}

def test_redis_restarted_between_scrapes_is_read_at_once(redis_server, start_exporter):
    redis_server.mset({"swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active")})
    exporter = start_plugin(start_exporter, redis_server.url)
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 1
    redis_server.stop()
    redis_server.start()
    redis_server.mset({"swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active")})
    # The kept connection is closed by now; the collector reconnects within the same scrape.
    body = exporter.scrape()
    assert sample_value(body, "cfn_collector_up", UP) == 1
    assert samples(body, "blocking_coordinators_total") == {labels("s1", "p", "active"): 1}

@pytest.fixture
def silent_server():
    """A loopback port that accepts connections (the kernel does) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"

def test_a_server_that_never_answers_fails_within_the_deadline(silent_server, start_exporter):
    exporter = start_plugin(start_exporter, silent_server, "--collector.timeout=1s",
                            "--plugin.redis.command_timeout=30s")
    started = time.monotonic()
    status, _, raw = exporter.get()
    elapsed = time.monotonic() - started
    assert status == 200
    assert sample_value(raw.decode(), "cfn_collector_up", UP) == 0
    assert elapsed < 2.5, f"scrape took {elapsed:.2f}s with a 1s deadline"
    log_has(exporter, "Redis connection failed: timeout after 1000 ms")

def test_command_timeout_bounds_each_reply(silent_server, start_exporter):
    exporter = start_plugin(start_exporter, silent_server, "--plugin.redis.command_timeout=300ms")
    started = time.monotonic()
    body = exporter.scrape()
    elapsed = time.monotonic() - started
    assert sample_value(body, "cfn_collector_up", UP) == 0
    assert 0.25 <= elapsed < 2, f"scrape took {elapsed:.2f}s with a 300ms command timeout"
    log_has(exporter, "Redis connection failed: no reply within command_timeout (300 ms)")

class EndlessScanServer:
    """Speaks just enough of the Redis protocol: GET finds nothing, and SCAN always answers
    cursor 1 with no keys, so a scan never ends."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}/0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    @staticmethod
    def _take_command(buffer):
        """One command (a RESP array of bulk strings) off the front of buffer, or None."""
        lines = buffer.split(b"\r\n")
        if len(lines) < 2 or not lines[0].startswith(b"*"):
            return None, buffer
        count = int(lines[0][1:])
        if len(lines) < 2 + 2 * count:
            return None, buffer
        words = [lines[2 + 2 * i] for i in range(count)]
        return words, b"\r\n".join(lines[1 + 2 * count:])

    def _serve(self, client):
        buffer = b""
        with client:
            while data := client.recv(65536):
                buffer += data
                while True:
                    command, buffer = self._take_command(buffer)
                    if command is None:
                        break
                    name = command[0].upper()
                    client.sendall(b"$-1\r\n" if name == b"GET" else
                                   b"*2\r\n$1\r\n1\r\n*0\r\n" if name == b"SCAN" else b"+OK\r\n")

    def close(self):
        self.listener.close()

def test_a_scan_that_never_ends_fails_within_the_deadline(start_exporter):
    server = EndlessScanServer()
    try:
        exporter = start_plugin(start_exporter, server.url, "--collector.timeout=700ms")
        started = time.monotonic()
        body = exporter.scrape()
        elapsed = time.monotonic() - started
        assert sample_value(body, "cfn_collector_up", UP) == 0
        assert elapsed < 2, f"scrape took {elapsed:.2f}s with a 700ms deadline"
        log_has(exporter, "Redis connection failed: timeout after 700 ms")
    finally:
        server.close()

def test_backoff_fails_fast_and_names_the_wait(start_exporter):
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    exporter = start_plugin(start_exporter, f"redis://127.0.0.1:{port}/0")
    for _ in range(6):
        assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 0
    log_has(exporter, "Redis connection failed: Connection refused")
    # Back-to-back scrapes fall inside the back-off, which grows by 50 ms a failure.
    log_has(exporter, "Redis connection failed: Connection refused (retrying in ")

@pytest.fixture
def socket_folder():
    """A private temp folder for unix sockets, under /tmp: socket paths must be short."""
    folder = tempfile.mkdtemp(prefix="cfn-redis-", dir="/tmp")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)

def test_unix_socket_urls(socket_folder, extra_redis, start_exporter):
    path = os.path.join(socket_folder, "redis.sock")
    cli = extra_redis("--port", "0", "--unixsocket", path, "--unixsocketperm", "700",
                      cli_args=("-s", path))
    cli("SET", "swarm:s1:blocking:c1", coordinator("s1", "c1", "p", "active"))
    for url in (f"unix://{path}", path, f"unix://{path}?db=0"):
        body = start_plugin(start_exporter, url).scrape()
        assert samples(body, "blocking_coordinators_total") == {
            labels("s1", "p", "active"): 1}, url

PASSWORD = "s3cr:t@pw"

@pytest.fixture
def protected_redis(extra_redis):
    """A redis-server with a password, holding one coordinator in db 2 and another in db 0."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cli = extra_redis("--port", str(port), "--requirepass", PASSWORD,
                      cli_args=("-p", str(port), "-a", PASSWORD))
    cli("-n", "2", "SET", "swarm:s2:blocking:c2", coordinator("s2", "c2", "p", "active"))
    cli("SET", "swarm:s0:blocking:c0", coordinator("s0", "c0", "p", "active"))
    return port

@pytest.mark.parametrize("userinfo", [":s3cr%3At%40pw", "default:s3cr%3At%40pw", ":s3cr:t@pw"],
                         ids=["password", "user_and_password", "unencoded_password"])
def test_password_and_database(protected_redis, start_exporter, userinfo):
    exporter = start_plugin(start_exporter, f"redis://{userinfo}@127.0.0.1:{protected_redis}/2")
    body = exporter.scrape()
    assert sample_value(body, "cfn_collector_up", UP) == 1
    assert samples(body, "blocking_coordinators_total") == {labels("s2", "p", "active"): 1}
    assert "s3cr" not in exporter.log()

def test_wrong_password_fails_without_logging_it(protected_redis, start_exporter):
    exporter = start_plugin(start_exporter, f"redis://:wrong-pw@127.0.0.1:{protected_redis}/0")
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 0
    log_has(exporter, "Redis connection failed: AUTH failed:")
    assert "wrong-pw" not in exporter.log()

@pytest.fixture
def protected_socket(socket_folder, extra_redis):
    """A redis-server on a unix socket only, with a password, holding one coordinator in db 2
    and another in db 0."""
    path = os.path.join(socket_folder, "redis.sock")
    cli = extra_redis("--port", "0", "--unixsocket", path, "--unixsocketperm", "700",
                      "--requirepass", PASSWORD, cli_args=("-s", path, "-a", PASSWORD))
    cli("-n", "2", "SET", "swarm:s2:blocking:c2", coordinator("s2", "c2", "p", "active"))
    cli("SET", "swarm:s0:blocking:c0", coordinator("s0", "c0", "p", "active"))
    return path

@pytest.mark.parametrize("url", [
    "unix://{path}?db=2&password=s3cr%3At%40pw",
    "unix://{path}?password=s3cr:t@pw&user=default&db=2",
    "{path}?db=2&user=default&password=s3cr%3At%40pw",
], ids=["password", "user_and_password", "bare_path"])
def test_unix_socket_with_password_and_database(protected_socket, start_exporter, url):
    exporter = start_plugin(start_exporter, url.format(path=protected_socket))
    body = exporter.scrape()
    assert sample_value(body, "cfn_collector_up", UP) == 1
    assert samples(body, "blocking_coordinators_total") == {labels("s2", "p", "active"): 1}
    log_has(exporter, f'msg="connected to Redis" plugin=redis socket={protected_socket} db=2')
    assert "s3cr" not in exporter.log()

def test_unix_socket_with_a_wrong_password(protected_socket, start_exporter):
    exporter = start_plugin(start_exporter, f"unix://{protected_socket}?password=wrong-pw")
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 0
    log_has(exporter, "Redis connection failed: AUTH failed:")
    assert "wrong-pw" not in exporter.log()

def test_a_socket_that_cannot_be_reached_is_named(socket_folder, start_exporter):
    path = os.path.join(socket_folder, "missing.sock")
    exporter = start_plugin(start_exporter, f"unix://{path}?password=hunter2&db=1")
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 0
    log_has(exporter, f"Redis connection failed: unix socket {path}: No such file or directory")
    assert "hunter2" not in exporter.log()

def test_unknown_socket_parameters_are_named_without_their_values():
    result = run_exporter("--plugin=redis",
                          "--plugin.redis.url=unix:///tmp/r.sock?db=1&passwd=hunter2&timeout=5")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert 'unknown query parameters "passwd", "timeout"' in output, output
    assert '"unix:///tmp/r.sock?db=1&passwd=***&timeout=***"' in output, output
    assert "hunter2" not in output, output

def test_url_from_the_environment(redis_server, start_exporter):
    redis_server.mset({"swarm:s1:blocking:c1": coordinator("s1", "c1", "p", "active")})
    exporter = start_exporter("--plugin=redis", env={"CFN_REDIS_URL": redis_server.url})
    body = exporter.scrape()
    assert samples(body, "blocking_coordinators_total") == {labels("s1", "p", "active"): 1}

@pytest.mark.parametrize("option, named", [
    ("--plugin.redis.scan_count=0", 'option "scan_count": "0"'),
    ("--plugin.redis.scan_count=ten", 'option "scan_count": "ten"'),
    ("--plugin.redis.bogus=1", 'unknown option "bogus"'),
    ("--plugin.redis.url=http://x", 'option "url": "http://x"'),
    ("--plugin.redis.url=redis://127.0.0.1:99999/0", 'option "url"'),
    ("--plugin.redis.url=redis://127.0.0.1:6379/zero", 'option "url"'),
    ("--plugin.redis.connect_timeout=fast", 'option "connect_timeout": "fast"'),
    ("--plugin.redis.command_timeout=0s", 'option "command_timeout": "0s"'),
    ("--plugin.redis.heartbeat_timeout=30", 'option "heartbeat_timeout": "30"'),
    ("--plugin.redis.forget_after=15", 'option "forget_after": "15"'),
    ("--plugin.redis.forget_after=25h", 'option "forget_after": "25h"'),
    ("--plugin.redis.forget_after=-1s", 'option "forget_after": "-1s"'),
    ("--plugin.redis.url=unix:///tmp/r.sock?db=two", "the database is not a number"),
    ("--plugin.redis.url=unix:///tmp/r.sock?db=1&db=2", 'query parameter "db" is given twice'),
    ("--plugin.redis.url=unix:///tmp/r.sock?user=u", "a user name needs a password"),
    ("--plugin.redis.url=unix:///tmp/r.sock?password=", 'query parameter "password" is empty'),
    ("--plugin.redis.url=unix:///tmp/r.sock?hunter2", '"unix:///tmp/r.sock?***"'),
    ("--plugin.redis.url=/tmp/r.sock?db=1&x=1", 'unknown query parameter "x"'),
    ("--plugin.redis.url=unix:///tmp/" + "d" * 100 + ".sock", "longer than 107 bytes"),
])
def test_bad_options_stop_the_exporter_with_status_2(option, named):
    result = run_exporter("--plugin=redis", option)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert named in output, output

def test_a_bad_url_is_reported_without_its_password():
    result = run_exporter("--plugin=redis", "--plugin.redis.url=redis://:hunter2@host:0/0")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "redis://:***@host:0/0" in output, output
    assert "hunter2" not in output, output

def test_a_bad_url_in_the_environment_is_named():
    result = run_exporter("--plugin=redis", env={"CFN_REDIS_URL": "redis://:pw@:6379"})
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "CFN_REDIS_URL" in output and "***" in output and ":pw@" not in output, output

class FakeRedis:
    """A fake Redis on a free loopback port: answer(words, client, stopped) sends the reply to
    each command (a list of bulk strings). close() ends every connection."""

    def __init__(self, answer):
        self.answer = answer
        self.stopped = threading.Event()
        self.clients = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.clients.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        buffer = b""
        try:
            with client:
                while not self.stopped.is_set() and (data := client.recv(65536)):
                    buffer += data
                    while True:
                        command, buffer = EndlessScanServer._take_command(buffer)
                        if command is None:
                            break
                        self.answer(command, client, self.stopped)
        except OSError:
            pass  # the plugin hung up, or close() did

    def close(self):
        self.stopped.set()
        self.listener.close()
        for client in self.clients:
            try:
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

@pytest.fixture
def fake_redis():
    servers = []

    def start(answer):
        servers.append(FakeRedis(answer))
        return servers[-1]

    yield start
    for server in servers:
        server.close()

def timed_scrape(exporter):
    """One scrape, bounded at 15 s: returns (body, seconds taken)."""
    import urllib.request
    started = time.monotonic()
    with urllib.request.urlopen(exporter.url(), timeout=15) as response:
        body = response.read().decode()
    return body, time.monotonic() - started

def test_a_reply_that_drips_in_slowly_ends_at_the_deadline(fake_redis, start_exporter):
    def drip(words, client, stopped):
        # GET answers a 40-byte string, one byte every 0.25 s: 10 s in all, though no single
        # read waits long. Every other command answers at once.
        if words[0].upper() != b"GET":
            client.sendall(b"+OK\r\n")
            return
        for byte in b"$40\r\n" + b"x" * 40 + b"\r\n":
            if stopped.wait(0.25):
                return
            client.sendall(bytes([byte]))

    server = fake_redis(drip)
    exporter = start_plugin(start_exporter, server.url, "--collector.timeout=1s")
    body, elapsed = timed_scrape(exporter)
    assert sample_value(body, "cfn_collector_up", UP) == 0
    assert elapsed < 2.5, f"scrape took {elapsed:.2f}s with a 1s deadline"
    log_has(exporter, "Redis connection failed: timeout after 1000 ms")
    # SIGTERM waits for the scrape in progress, which ends at its deadline as well.
    time.sleep(0.2)  # past the back-off, so that the next scrape connects again

    def scrape_quietly():
        try:
            timed_scrape(exporter)
        except OSError:
            pass  # the exporter stopped first

    threading.Thread(target=scrape_quietly, daemon=True).start()
    wait_for(lambda: len(server.clients) == 2, timeout=5, what="the second connection")
    started = time.monotonic()
    exporter.stop()
    assert time.monotonic() - started < 2.5

def answer_get_with(payload):
    """A fake server's answer: GET gets payload, sent as fast as the plugin takes it; every
    other command gets +OK."""
    def answer(words, client, stopped):
        client.sendall(payload if words[0].upper() == b"GET" else b"+OK\r\n")
    return answer

HUGE_VALUE = 100 << 20

def huge_value_answer(words, client, stopped):
    if words[0].upper() != b"GET":
        client.sendall(b"+OK\r\n")
        return
    client.sendall(b"$%d\r\n" % HUGE_VALUE)
    chunk = b"x" * (1 << 20)
    for _ in range(HUGE_VALUE >> 20):
        if stopped.is_set():
            return
        client.sendall(chunk)
    client.sendall(b"\r\n")

@pytest.mark.parametrize("answer, message", [
    (answer_get_with(b"*999999999\r\n"), "a reply with more than 1000000 elements"),
    # Arrays that each stay under the limit, but not together.
    (answer_get_with(b"*2\r\n" + (b"*600000\r\n" + b":1\r\n" * 600000) * 2),
     "a reply with more than 1000000 elements"),
    (huge_value_answer, "a value longer than 64 MB"),
], ids=["huge_array_header", "arrays_too_large_together", "huge_value"])
def test_an_oversized_reply_is_a_protocol_error(fake_redis, start_exporter, answer, message):
    server = fake_redis(answer)
    exporter = start_plugin(start_exporter, server.url, "--collector.timeout=5s")
    body, elapsed = timed_scrape(exporter)
    assert sample_value(body, "cfn_collector_up", UP) == 0
    assert elapsed < 3, f"scrape took {elapsed:.2f}s"
    log_has(exporter, f"Redis connection failed: protocol error: {message}")

@pytest.mark.parametrize("url", [
    "redis://app:Zm9v/YmFy@127.0.0.1:{port}/0",
    "redis:/app:Zm9vYmFy@127.0.0.1:{port}",
    "redis//:Zm9vYmFy@127.0.0.1:{port}",
    "redis://:Zm9v@YmFy?x@127.0.0.1:{port}/zero",
    "unix:///tmp/r.sock?password=Zm9v:YmFy@x&db=1&bogus=1",
], ids=["slash_in_password", "one_slash", "no_colon", "at_and_question_mark", "socket_query"])
@pytest.mark.parametrize("source", ["flag", "environment"])
def test_a_malformed_url_never_shows_its_password(url, source):
    from conftest import free_port
    url = url.format(port=free_port())
    if source == "flag":
        result = run_exporter("--plugin=redis", f"--plugin.redis.url={url}")
    else:
        result = run_exporter("--plugin=redis", env={"CFN_REDIS_URL": url})
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Zm9v" not in output and "YmFy" not in output, output
    assert "***" in output, output

def test_a_slash_in_a_password_asks_for_percent_encoding():
    result = run_exporter("--plugin=redis", "--plugin.redis.url=redis://app:Zm9v/YmFy@host/0")
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert '"redis://app:***@host/0"' in output, output
    assert "a / in the user or password must be percent-encoded as %2F" in output, output

def test_a_percent_encoded_user_and_password_with_a_slash(extra_redis, start_exporter):
    from conftest import free_port
    port = free_port()
    cli = extra_redis("--port", str(port), "--requirepass", "Zm9v/YmFy:@x",
                      cli_args=("-p", str(port), "-a", "Zm9v/YmFy:@x"))
    cli("SET", "swarm:s1:blocking:c1", coordinator("s1", "c1", "p", "active"))
    exporter = start_plugin(start_exporter,
                            f"redis://%64efault:Zm9v%2FYmFy%3A%40x@127.0.0.1:{port}/0")
    body = exporter.scrape()
    assert sample_value(body, "cfn_collector_up", UP) == 1
    assert samples(body, "blocking_coordinators_total") == {labels("s1", "p", "active"): 1}
    assert "Zm9v" not in exporter.log()

def test_a_url_taken_for_a_socket_path_is_logged_without_its_password(start_exporter):
    # No scheme and a leading /: a socket path as far as the parser knows.
    exporter = start_plugin(start_exporter, "//:Zm9vYmFy@127.0.0.1:1")
    assert sample_value(exporter.scrape(), "cfn_collector_up", UP) == 0
    log_has(exporter, "Redis connection failed: unix socket ***@127.0.0.1:1: No such file")
    assert "Zm9v" not in exporter.log()

def test_heartbeats_without_a_numeric_timestamp_are_parse_errors(redis_server, start_exporter):
    beats = {"empty": "{}", "text": '{"lastHeartbeat":"1000"}', "null": "null",
             "null_stamp": '{"lastHeartbeat":null}', "fine": heartbeat("fine", 0)}
    values = {f"swarm:s1:blocking:{coord}": coordinator("s1", coord, "p", "active")
              for coord in beats}
    values.update({f"blocking:heartbeat:{coord}": beat for coord, beat in beats.items()})
    redis_server.mset(values)
    exporter = start_plugin(start_exporter, redis_server.url,
                            "--plugin.redis.heartbeat_timeout=30s")
    for _ in range(2):  # the same bad values: counted once
        body = exporter.scrape()
        assert sample_value(body, "cfn_redis_parse_errors_total", {"key_type": "heartbeat"}) == 4
        assert failure_counts(body) == {}
        assert sample_value(body, "cfn_collector_up", UP) == 1
    for coord in ("empty", "text", "null_stamp"):
        log_has(exporter, f'msg="skipping heartbeat without a numeric lastHeartbeat" '
                          f'plugin=redis key=blocking:heartbeat:{coord}')
    log_has(exporter, "key=blocking:heartbeat:null")

def test_a_heartbeat_far_in_the_future_is_stale(redis_server, start_exporter):
    redis_server.mset({
        "swarm:s1:blocking:ahead": coordinator("s1", "ahead", "p", "active"),
        "blocking:heartbeat:ahead": heartbeat("ahead", -600),  # ten minutes ahead
        "swarm:s1:blocking:skewed": coordinator("s1", "skewed", "p", "active"),
        "blocking:heartbeat:skewed": heartbeat("skewed", -5),  # within heartbeat_timeout
    })
    exporter = start_plugin(start_exporter, redis_server.url,
                            "--plugin.redis.heartbeat_timeout=30s")
    assert failure_counts(exporter.scrape()) == {("ahead", "stale"): 1}
    assert failure_counts(exporter.scrape()) == {("ahead", "stale"): 1}  # the same episode
