"""What the registry writes, read back by promtool and by prometheus_client's text and
OpenMetrics parsers: names, labels and values must come back exactly as recorded."""
import math

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from cfnlib import OPENMETRICS, TEXT, CfnError, Library, Registry
from conftest import promtool_findings

AWKWARD_VALUES = [
    "", "plain", 'dou"ble"', "back\\slash", "new\nline", "tab\there", "\\n literally",
    '\\"', "trailing\\", "ünïcödé ✓ 日本語", "emoji 🚀", "{curly}", "a=b,c=d", "# not a comment",
    "x" * 65536, "\r\n", " leading and trailing ", "\\\\\\", 'le="+Inf"',
]

@pytest.fixture
def registry():
    registry = Registry(Library())
    yield registry
    registry.close()

def parsed_samples(families):
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in families for sample in family.samples}

def record_corpus(registry):
    """Every awkward value in a gauge, a counter and a histogram; returns what was recorded."""
    gauge = registry.family("gauge", "corpus_value", "Awkward values.", ["value", "index"])
    counter = registry.family("counter", "corpus_events_total", "Counted.", ["value"])
    histogram = registry.family("histogram", "corpus_seconds", "Observed.", ["value"],
                                buckets=[0.5, 1])
    expected = {}
    for index, value in enumerate(AWKWARD_VALUES):
        registry.call("cfn_gauge_set", registry.series(gauge, [value, str(index)]), index - 3.5)
        expected[("corpus_value", frozenset({"value": value, "index": str(index)}.items()))] = \
            index - 3.5
        registry.call("cfn_counter_add", registry.series(counter, [value]), index + 1)
        expected[("corpus_events_total", frozenset({"value": value}.items()))] = index + 1
        registry.call("cfn_histogram_observe", registry.series(histogram, [value]), 0.75)
    return expected

def test_text_format_reads_back_exactly(registry):
    expected = record_corpus(registry)
    body = registry.render(TEXT)
    got = parsed_samples(parse_text(body))
    for key, value in expected.items():
        assert got.get(key) == value, f"{key[0]} {dict(key[1])!r:.80}"
    for value in AWKWARD_VALUES:
        labels = frozenset({"value": value}.items())
        assert got[("corpus_seconds_count", labels)] == 1
        assert got[("corpus_seconds_bucket", labels | {("le", "1")})] == 1
        assert got[("corpus_seconds_bucket", labels | {("le", "0.5")})] == 0
    assert promtool_findings(body) == []

def test_openmetrics_reads_back_exactly(registry):
    expected = record_corpus(registry)
    body = registry.render(OPENMETRICS)
    assert body.endswith("# EOF\n")
    families = list(parse_openmetrics(body))
    assert {family.name: family.type for family in families} == {
        "corpus_value": "gauge", "corpus_events": "counter", "corpus_seconds": "histogram"}
    got = parsed_samples(families)
    for key, value in expected.items():
        assert got.get(key) == value, f"{key[0]} {dict(key[1])!r:.80}"
    created = [value for (name, _), value in got.items() if name.endswith("_created")]
    assert len(created) == 2 * len(AWKWARD_VALUES) and all(value > 1.7e9 for value in created)

@pytest.mark.parametrize("value, text", [
    (0, "0"), (-0.0, "0"), (42, "42"), (2 ** 53, "9007199254740992"), (0.1, "0.1"),
    (1 / 3, "0.3333333333333333"), (1e-7, "1e-07"), (math.inf, "+Inf"), (-math.inf, "-Inf"),
    (math.nan, "NaN"), (-2.5e300, "-2.5e+300"),
])
def test_gauge_values_are_written_in_their_shortest_exact_form(registry, value, text):
    gauge = registry.family("gauge", "g", "G.")
    registry.call("cfn_gauge_set", registry.series(gauge, []), value)
    body = registry.render(TEXT)
    assert body.splitlines()[-1] == f"g {text}"
    parsed = next(iter(parse_text(body))).samples[0].value
    assert (math.isnan(parsed) and math.isnan(value)) or parsed == value

def test_help_is_escaped_and_reads_back(registry):
    help_text = 'line one\nback\\slash "quoted"'
    registry.family("gauge", "g", help_text)
    body = registry.render(TEXT)
    assert '# HELP g line one\\nback\\\\slash "quoted"\n' in body
    assert next(iter(parse_text(body))).documentation == help_text
    om_body = registry.render(OPENMETRICS)
    assert next(iter(parse_openmetrics(om_body))).documentation == help_text

@pytest.mark.parametrize("kind, name, labels, buckets, fragment", [
    ("gauge", "bad-name", [], None, 'invalid metric name "bad-name"'),
    ("gauge", "__reserved", [], None, "reserved"),
    ("gauge", "g", ["bad:label"], None, 'metric g: invalid label name "bad:label"'),
    ("histogram", "h", ["le"], [1], 'metric h: label name "le" is reserved'),
    ("histogram", "h", [], [2, 1], "metric h: buckets must be strictly increasing, but 1"),
    ("histogram", "h", [], [1, math.nan], "metric h: bucket NaN is not finite"),
])
def test_invalid_definitions_are_refused_naming_the_culprit(registry, kind, name, labels,
                                                             buckets, fragment):
    with pytest.raises(CfnError) as refused:
        registry.family(kind, name, "Help.", labels, buckets)
    assert fragment in refused.value.message

def test_invalid_utf8_label_value_is_refused(registry):
    gauge = registry.family("gauge", "g", "G.", ["path"])
    with pytest.raises(CfnError) as refused:
        registry.series(gauge, [b"\xff\xfe"])
    assert refused.value.message == "metric g: value of label path is not valid UTF-8"
    assert "path" not in registry.render(TEXT)

def test_every_scrape_sees_consistent_histograms_while_threads_observe(registry):
    import threading
    histogram = registry.family("histogram", "wait_seconds", "W.", ["worker"], buckets=[0.5, 1])
    series = [registry.series(histogram, [str(worker)]) for worker in range(3)]
    stop = threading.Event()

    def observe(handle):
        # 0.75 is exact in binary, so the sum must be exactly 0.75 x count in every snapshot.
        while not stop.is_set():
            for _ in range(200):
                registry.call("cfn_histogram_observe", handle, 0.75)

    workers = [threading.Thread(target=observe, args=(handle,)) for handle in series]
    for worker in workers:
        worker.start()
    try:
        counts = []
        for _ in range(60):
            for family in parse_text(registry.render(TEXT)):
                by_worker = {}
                for sample in family.samples:
                    by_worker.setdefault(sample.labels["worker"], {})[
                        (sample.name, sample.labels.get("le"))] = sample.value
                for worker, values in by_worker.items():
                    count = values[("wait_seconds_count", None)]
                    assert values[("wait_seconds_bucket", "+Inf")] == count, worker
                    assert values[("wait_seconds_bucket", "1")] == count, worker
                    assert values[("wait_seconds_bucket", "0.5")] == 0, worker
                    assert values[("wait_seconds_sum", None)] == 0.75 * count, worker
                    counts.append(count)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert max(counts) > 0, "the observers never ran during the scrapes"
