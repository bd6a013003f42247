"""A sweep's saved parts say what each metric is (label, unit, direction) in their own Parquet metadata, and the
store still reads them as its own."""

from __future__ import annotations

import pyarrow.parquet as pq

from crmsim.experiments.analysis import load_results
from crmsim.experiments.described import read_metrics
from crmsim.experiments.evaluators import SequentialEvaluator
from crmsim.experiments.runner import run_sweep
from crmsim.experiments.spec import load_experiment
from crmsim.model.metrics import INFO
from tests.experiments_util import PAIRED_SWEEP, write_experiment


def test_every_part_of_a_sweep_describes_the_metrics_it_holds(tmp_path):
    path = write_experiment(tmp_path, PAIRED_SWEEP)
    with SequentialEvaluator() as evaluator:
        root = run_sweep(load_experiment(path), tmp_path / "out", evaluator).root
    parts = sorted((root / "parts").glob("part-*.parquet"))
    assert parts
    for part in parts:
        described = read_metrics(pq.read_schema(part))
        held = set(pq.read_table(part, columns=["metric"]).column("metric").to_pylist())
        assert set(described) == held and len(held) > 20  # every_step = "all"
        for name, info in described.items():
            assert info == {"label": INFO[name].label, "unit": INFO[name].unit, "direction": INFO[name].direction,
                            "better": INFO[name].better}
    final = load_results(root).final  # the store's checks accept the parts it wrote
    assert {"trust_mean", "knowledge_mean", "knowledge_gini", "take_up"} <= set(final["metric"])
