"""One exit code per kind of failure (crmsim/texts/exits.py), the same in every command: here, an unreachable engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from crmsim.texts import exits
from crmsim.commands import main
from crmsim.experiments.evaluators.dask import DaskEvaluator
from tests.experiments_util import free_port
from tests.test_calibration import _tiny

ROOT = Path(__file__).resolve().parents[1]
SMALL = 'warmup = 2\nsteps = 2\nseed = 1\n[population]\nn_citizens = 100\nprescribers_per_1000 = 20\n'


@pytest.fixture
def nobody_listens(monkeypatch) -> str:
    """The address of a scheduler that is not there, and a 1 s wait for it instead of 20 s."""
    monkeypatch.setitem(DaskEvaluator.__init__.__kwdefaults__, "connect_timeout", 1.0)
    return f"tcp://127.0.0.1:{free_port()}"


def _scenarios(folder: Path) -> list[str]:
    paths = []
    for name, policy in (("base", "supply_front_office"), ("faq", "faq")):
        path = folder / f"{name}.toml"
        path.write_text(f'name = "{name}"\npolicy = "{policy}"\n{SMALL}')
        paths.append(str(path))
    return paths


def test_an_unreachable_scheduler_exits_3_in_compare_and_calibrate(nobody_listens, tmp_path, capsys):
    commands = {
        "compare": ["compare", *_scenarios(tmp_path), "--reps", "2", "--dask", nobody_listens,
                    "--out", str(tmp_path / "compare")],
        "calibrate": ["calibrate", str(_tiny(tmp_path, 1)), "--dask", nobody_listens, "--out",
                      str(tmp_path / "calibration")],
    }
    for name, argv in commands.items():
        code = main(argv)
        err = capsys.readouterr().err
        assert code == exits.ENGINE == 3, (name, code, err)
        assert err.count("\n") == 1 and nobody_listens.removeprefix("tcp://") in err and "Traceback" not in err, err
        assert not (tmp_path / name).exists() or not any((tmp_path / name).rglob("*.parquet")), name
