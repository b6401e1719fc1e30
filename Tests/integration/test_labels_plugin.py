"""The labels plugin: constant labels on every sample, refused when they would shadow a label."""
import subprocess

from conftest import BUILD_DIR, promtool_findings, samples

def test_every_sample_carries_the_constant_labels(start_exporter):
    exporter = start_exporter("--plugin=labels", "--plugin.labels.env=prod",
                              '--plugin.labels.region=eu "west"')
    body = exporter.scrape()
    sample_lines = [line for line in body.splitlines() if line and not line.startswith("#")]
    assert sample_lines, body
    for line in sample_lines:
        assert line.startswith(line.split("{")[0] + '{env="prod",region="eu \\"west\\""'), line
    up = samples(body, "cfn_collector_up")
    labels = {"env": "prod", "region": 'eu "west"', "collector": "labels"}
    assert up == {frozenset(labels.items()): 1}
    assert promtool_findings(body) == []

def test_a_label_that_a_metric_already_has_makes_the_collector_fail(start_exporter):
    exporter = start_exporter("--plugin=labels", "--plugin.labels.swarm_id=s1")
    body = exporter.scrape()
    assert samples(body, "cfn_collector_up") == {frozenset({"collector": "labels"}.items()): 0}
    assert "constant label swarm_id is already a label of metric" in exporter.log()

def test_invalid_or_missing_labels_stop_the_start(tmp_path):
    binary = str(BUILD_DIR / "cfn-exporter")
    for args, message in (
            (["--plugin.labels.1zone=a"], 'label name "1zone" is not valid'),
            (["--plugin.labels.le=a"], 'label name "le" is not valid'),
            ([], "no labels given: use --plugin.labels.NAME=VALUE")):
        result = subprocess.run([binary, "--web.listen-address=127.0.0.1:0", "--plugin=labels",
                                 *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 2, result.stderr
        assert message in result.stderr
