"""The Node.js binding and the API server: built with gcc, their node:test suites, and promtool."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.request

import pytest

from conftest import BUILD_DIR, REPO, promtool_findings, stop_process, wait_for

BINDING = REPO / "bindings" / "node"
API_PROJECT = REPO / "api-project"

def node():
    binary = shutil.which("node")
    assert binary, "node is not installed (Node.js 20 is required)"
    return binary

@pytest.fixture(scope="module")
def addon():
    """Builds bindings/node/build/cfn_metrics.node against the library under test."""
    env = dict(os.environ, CFN_BUILD_DIR=str(BUILD_DIR))
    result = subprocess.run([str(BINDING / "build.sh")], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"build.sh failed:\n{result.stdout}{result.stderr}"
    built = BINDING / "build" / "cfn_metrics.node"
    assert built.exists()
    return built

def run_node_tests(folder):
    result = subprocess.run([node(), "--test", "test/"], cwd=folder, capture_output=True,
                            text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^# fail 0$", output, re.M), output
    passed = re.search(r"^# pass (\d+)$", output, re.M)
    assert passed and int(passed.group(1)) > 0, output

def test_binding_links_the_library_under_test(addon):
    result = subprocess.run(["ldd", str(addon)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    linked = re.search(r"libcfnmetrics\.so => (\S+)", result.stdout)
    assert linked, result.stdout
    assert os.path.samefile(linked.group(1), BUILD_DIR / "libcfnmetrics.so")

def test_binding_node_tests_pass(addon):
    run_node_tests(BINDING)

def test_api_project_node_tests_pass(addon):
    run_node_tests(API_PROJECT)

class ApiServer:
    """api-project/server.js on 127.0.0.1:0; the address comes from its JSON log line."""

    def __init__(self):
        self.log_file = tempfile.NamedTemporaryFile("w+", prefix="api-server-", suffix=".log")
        env = dict(os.environ, HOST="127.0.0.1", PORT="0")
        self.process = subprocess.Popen([node(), str(API_PROJECT / "server.js")], env=env,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        self.address = wait_for(self._address, what="the API server to listen")

    def _address(self):
        if self.process.poll() is not None:
            raise AssertionError(f"the API server exited early:\n{self.log()}")
        for line in self.log().splitlines():
            entry = json.loads(line)
            if entry.get("msg") == "listening":
                return entry["address"]
        return None

    def log(self):
        with open(self.log_file.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def send(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"http://{self.address}{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()

    def stop(self):
        try:
            return stop_process(self.process, "the API server")
        finally:
            self.log_file.close()

@pytest.fixture
def api_server(addon):
    server = ApiServer()
    yield server
    assert server.stop() == 0

def test_promtool_accepts_the_api_scrape(api_server):
    recordings = [
        ("POST", "/api/coordinators/coord-1/blocking",
         {"swarmId": "swarm-a", "status": "completed", "durationSeconds": 12.5}),
        ("POST", "/api/signals",
         {"senderId": "coord-1", "receiverId": "coord-2", "signalType": "wake",
          "latencySeconds": 0.02}),
        ("POST", "/api/heartbeat-failures", {"coordinatorId": "coord-2", "failureType": "stale"}),
        ("POST", "/api/timeouts", {"coordinatorId": "coord-3", "timeoutType": "blocking"}),
        ("PUT", "/api/swarms/swarm-a/coordinators",
         {"phase": "waiting", "status": "active", "count": 4}),
    ]
    for method, path, body in recordings:
        assert api_server.send(method, path, body)[0] == 200
    status, headers, text = api_server.send("GET", "/prometheus/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert 'timeout_events_total{coordinator_id="coord-3",timeout_type="blocking"} 1' in text

    assert promtool_findings(text) == []
