"""The CMake build and install, and a C program built against the installed files only."""
import os
import subprocess

import pytest

from conftest import BUILD_DIR, REPO, Exporter

def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    shown = " ".join(map(str, command))
    assert result.returncode == 0, f"{shown} failed:\n{result.stdout}\n{result.stderr}"
    return result

@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    build = tmp_path_factory.mktemp("cmake-build")
    prefix = tmp_path_factory.mktemp("prefix")
    run(["cmake", "-S", str(REPO), "-B", str(build), f"-DCFN_SWIFT_BUILD_DIR={BUILD_DIR}",
         f"-DCMAKE_INSTALL_PREFIX={prefix}"])
    run(["cmake", "--build", str(build), "--parallel", "2"])
    run(["ctest", "--test-dir", str(build), "--output-on-failure"])
    run(["cmake", "--install", str(build)])
    return prefix

def test_install_lays_out_headers_library_plugins_and_pkg_config(prefix):
    for relative in ("include/cfn_metrics.h", "include/cfn_plugin.h", "lib/libcfnmetrics.so",
                     "bin/cfn-exporter", "lib/cfn-metrics/plugins/libcfnplugin_redis.so",
                     "lib/cfn-metrics/plugins/libcfnplugin_labels.so",
                     "lib/pkgconfig/cfn-metrics.pc"):
        assert (prefix / relative).exists(), f"{relative} was not installed"

def test_c_program_builds_with_pkg_config_against_the_installed_files(prefix, tmp_path):
    env = dict(os.environ, PKG_CONFIG_PATH=str(prefix / "lib" / "pkgconfig"))
    flags = run(["pkg-config", "--cflags", "--libs", "cfn-metrics"], env=env).stdout.split()
    assert f"-I{prefix}/include" in flags and "-lcfnmetrics" in flags
    binary = tmp_path / "abi_test"
    run(["gcc", "-std=c11", "-pthread", str(REPO / "Tests/c/abi_test.c"), "-o", str(binary), *flags,
         "-lm", f"-Wl,-rpath,{prefix}/lib"])
    result = run([str(binary)])
    assert "0 failed" in result.stdout

def test_installed_exporter_finds_a_plugin_by_bare_name(prefix, monkeypatch):
    monkeypatch.setattr("conftest.BUILD_DIR", prefix / "bin")
    exporter = Exporter(["--plugin=redis", "--plugin.redis.url=redis://127.0.0.1:1/0"])
    try:
        plugin = f"{prefix}/bin/../lib/cfn-metrics/plugins/libcfnplugin_redis.so"
        assert f"path={plugin}" in exporter.log()
        assert exporter.get()[0] == 200
    finally:
        exporter.stop()
