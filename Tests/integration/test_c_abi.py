"""C programs built only against Include/ and libcfnmetrics.so, as a C user builds them."""
import subprocess

import pytest

from conftest import BUILD_DIR, REPO

def compile_c(tmp_path, source, output, *extra):
    binary = tmp_path / output
    command = ["gcc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread",
               f"-I{REPO / 'Include'}", str(REPO / source), "-o", str(binary), *extra]
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"gcc failed:\n{result.stderr}"
    return binary

def link_library():
    # --no-as-needed: a plugin host references no cfn_* symbol itself, but the plugins it
    # loads do, and they resolve them from the library loaded here.
    return [f"-L{BUILD_DIR}", "-Wl,--no-as-needed", "-lcfnmetrics", "-lm", "-ldl",
            f"-Wl,-rpath,{BUILD_DIR}"]

def test_abi_program_passes_every_case(tmp_path):
    binary = compile_c(tmp_path, "Tests/c/abi_test.c", "abi_test", *link_library())
    result = subprocess.run([str(binary)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed, 0 failed" in result.stdout

def test_redis_plugin_handshake_from_a_c_host(tmp_path):
    binary = compile_c(tmp_path, "Tests/c/plugin_handshake.c", "handshake", *link_library())
    plugin = BUILD_DIR / "libcfnplugin_redis.so"
    result = subprocess.run([str(binary), str(plugin), "redis"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "abi=1 name=redis" in result.stdout
    assert "no_such_option" in result.stdout

@pytest.fixture
def bad_plugins(tmp_path):
    built = {}
    for name in ("wrong_abi", "no_entry", "failing", "slow"):
        built[name] = compile_c(tmp_path, f"Tests/c/plugins/{name}.c", f"lib{name}.so",
                                "-shared", "-fPIC")
    not_elf = tmp_path / "libgarbage.so"
    not_elf.write_text("this is not a shared object\n")
    built["garbage"] = not_elf
    return built

def run_exporter(*args):
    return subprocess.run([str(BUILD_DIR / "cfn-exporter"), "--web.listen-address=127.0.0.1:0",
                           *args], capture_output=True, text=True, timeout=30)

def test_exporter_refuses_a_plugin_of_another_abi_version(bad_plugins):
    result = run_exporter(f"--plugin={bad_plugins['wrong_abi']}")
    assert result.returncode == 2
    assert "plugin future" in result.stderr
    assert "plugin ABI version 2, this host supports version 1" in result.stderr

def test_exporter_refuses_a_library_without_entry_point(bad_plugins):
    result = run_exporter(f"--plugin={bad_plugins['no_entry']}")
    assert result.returncode == 2
    assert "does not export cfn_plugin_entry" in result.stderr

def test_exporter_refuses_a_file_that_is_not_a_library(bad_plugins):
    result = run_exporter(f"--plugin={bad_plugins['garbage']}")
    assert result.returncode == 2
    assert "cannot load plugin" in result.stderr and "libgarbage.so" in result.stderr

def test_exporter_passes_on_a_plugin_option_error(bad_plugins):
    result = run_exporter(f"--plugin={bad_plugins['failing']}", "--plugin.failing.colour=red")
    assert result.returncode == 2
    assert 'plugin failing refused its options: unknown option "colour"' in result.stderr

def test_failing_collector_is_down_but_the_scrape_succeeds(bad_plugins, start_exporter):
    from conftest import sample_value
    exporter = start_exporter(f"--plugin={bad_plugins['failing']}")
    for expected_failures in (1, 2):
        body = exporter.scrape()
        assert sample_value(body, "cfn_collector_up", {"collector": "failing"}) == 0
        assert sample_value(body, "cfn_collector_failures_total",
                            {"collector": "failing"}) == expected_failures
    # The same failure twice is logged once at error level; the repeat only at debug.
    failures = [line for line in exporter.log().splitlines() if 'msg="collector failed"' in line]
    assert len(failures) == 1, failures
    assert 'level=error' in failures[0] and "plugin=failing" in failures[0]
    assert 'error="source unavailable (deadline 5000 ms)"' in failures[0]

def test_scrapes_beyond_the_limit_get_503_and_health_still_answers(bad_plugins, start_exporter):
    from concurrent.futures import ThreadPoolExecutor
    exporter = start_exporter(f"--plugin={bad_plugins['slow']}", "--web.max-requests=1")
    with ThreadPoolExecutor(max_workers=3) as pool:
        scrapes = [pool.submit(exporter.get) for _ in range(3)]
        health = exporter.get("/-/healthy")
        statuses = sorted(future.result()[0] for future in scrapes)
    assert health[0] == 200
    assert 200 in statuses and 503 in statuses, statuses
    assert "scrape refused: too many in flight" in exporter.log()

def test_the_readme_c_example_builds_and_runs(tmp_path):
    import re
    readme = (REPO / "README.md").read_text()
    example = re.search(r"## Using the library from C\n\n```c\n(.*?)```", readme, re.S)
    assert example, "README.md lost its C example"
    source = tmp_path / "example.c"
    source.write_text(example.group(1))
    binary = tmp_path / "example"
    result = subprocess.run(["gcc", "-std=c11", "-Wall", "-Werror", str(source),
                             f"-I{REPO / 'Include'}", "-o", str(binary), *link_library()],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    run = subprocess.run([str(binary)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    expected = 'timeout_events_total{coordinator_id="coord-1",timeout_type="heartbeat"} 1\n'
    assert expected in run.stdout

def test_a_tiny_scrape_timeout_header_cannot_starve_collectors(bad_plugins, start_exporter):
    import re
    exporter = start_exporter(f"--plugin={bad_plugins['failing']}")
    for header in ("0.5001", "3", "100", "nonsense"):
        exporter.get(headers={"X-Prometheus-Scrape-Timeout-Seconds": header})
    # The failing plugin reports the deadline it got; a changed message is logged at error level.
    deadlines = re.findall(r"\(deadline (\d+) ms\)", exporter.log())
    assert deadlines == ["1000", "2500", "5000"]
