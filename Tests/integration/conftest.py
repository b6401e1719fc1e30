"""Shared fixtures: real redis-server and cfn-exporter processes on free loopback ports."""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("CFN_BUILD_DIR", REPO / ".build" / "debug"))

ACCEPTED_PROMTOOL_FINDING = (
    'blocking_coordinators_total non-counter metrics should not have "_total" suffix')

def promtool_findings(body):
    """What `promtool check metrics` says of a body, less the one finding the metric contract
    accepts (the gauge blocking_coordinators_total keeps its historical name)."""
    result = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                            text=True, timeout=120)
    lines = [line.strip() for line in (result.stdout + result.stderr).splitlines()]
    return [line for line in lines if line and line != ACCEPTED_PROMTOOL_FINDING]

def stop_process(process, what):
    """SIGTERM, then a bounded wait; a process that ignores it is killed and the test fails."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise AssertionError(f"{what} did not stop within 10 s of SIGTERM")
    return process.returncode

def free_port():
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")

class RedisServer:
    """A throwaway redis-server in its own temp folder; stop/start keep the port."""

    def __init__(self, workdir):
        self.binary = shutil.which("redis-server")
        assert self.binary, "redis-server is not installed (scripts/test installs it)"
        self.workdir = workdir
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", str(self.workdir), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self._ping, what=f"redis-server on port {self.port}")

    def _ping(self):
        try:
            return self.cli("PING") == "PONG"
        except (OSError, subprocess.SubprocessError):
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def cli(self, *args, stdin=None):
        out = subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-p", str(self.port), *args],
            input=stdin, capture_output=True, text=True, timeout=30, check=True)
        return out.stdout.strip()

    def mset(self, mapping):
        """Writes many keys in one pipe (redis-cli --pipe with the inline protocol)."""
        lines = []
        for key, value in mapping.items():
            parts = ["SET", key, value]
            lines.append("*%d\r\n" % len(parts) + "".join(
                "$%d\r\n%s\r\n" % (len(p.encode()), p) for p in parts))
        self.cli("--pipe", stdin="".join(lines))

@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()

class Exporter:
    """cfn-exporter started on 127.0.0.1:0; the address comes from its start-up log line."""

    # The start-up line in logfmt or in JSON.
    LISTEN_LINE = re.compile(
        r'msg="?listening"? .*address=(\S+)|"msg":"listening".*"address":"([^"]+)"')

    def __init__(self, args, env=None):
        binary = BUILD_DIR / "cfn-exporter"
        assert binary.exists(), f"{binary} is missing: build first (scripts/test does)"
        self.log_file = tempfile.NamedTemporaryFile("w+", prefix="cfn-exporter-", suffix=".log")
        full_env = dict(os.environ)
        full_env.pop("CFN_REDIS_URL", None)
        full_env.update(env or {})
        self.process = subprocess.Popen(
            [str(binary), "--web.listen-address=127.0.0.1:0", *args],
            stdout=self.log_file, stderr=subprocess.STDOUT, env=full_env)
        try:
            self.address = wait_for(self._address, what="cfn-exporter to listen")
        except AssertionError:
            # Never leave a process behind that no fixture will stop.
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            raise

    def _address(self):
        if self.process.poll() is not None:
            raise AssertionError(f"cfn-exporter exited early:\n{self.log()}")
        match = self.LISTEN_LINE.search(self.log())
        return (match.group(1) or match.group(2)) if match else None

    def log(self):
        self.log_file.flush()
        with open(self.log_file.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def url(self, path="/prometheus/metrics"):
        return f"http://{self.address}{path}"

    def get(self, path="/prometheus/metrics", headers=None, method="GET"):
        request = urllib.request.Request(self.url(path), headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def scrape(self):
        status, _, body = self.get()
        assert status == 200, f"scrape answered {status}: {body[:500]!r}"
        return body.decode("utf-8")

    def stop(self):
        try:
            return stop_process(self.process, "cfn-exporter")
        finally:
            self.log_file.close()

@pytest.fixture
def start_exporter():
    started = []

    def start(*args, env=None):
        exporter = Exporter(list(args), env=env)
        started.append(exporter)
        return exporter

    yield start
    for exporter in started:
        exporter.stop()

def sample_value(body, name, labels=None):
    """The value of one sample in a text-format body, or None when absent."""
    from prometheus_client.parser import text_string_to_metric_families
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name and (labels is None or sample.labels == labels):
                return sample.value
    return None

def samples(body, name):
    """All samples called `name` as {frozenset(labels.items()): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == name:
                found[frozenset(sample.labels.items())] = sample.value
    return found
