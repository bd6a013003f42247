"""crmsim.commands.engine.run_saving: how worlds and frontier stop on Ctrl-C or SIGTERM, and what they leave."""

from crmsim.commands.engine import run_saving
from crmsim.experiments.interrupt import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated


def nothing(what: str) -> str:
    return f"{what}: nothing kept"


def kept(what: str) -> str:
    return f"{what}: kept, go on with --resume"


def test_stopped_before_anything_was_saved_says_so_and_leaves_no_folder(tmp_path, capsys):
    root = tmp_path / "made" / "run"

    def body() -> int:
        root.mkdir(parents=True, exist_ok=True)
        raise Terminated()

    assert run_saving(root, "saved.parquet", body, (ValueError,), nothing, kept) == EXIT_TERMINATED
    assert "stopped by SIGTERM: nothing kept" in capsys.readouterr().err
    assert not (tmp_path / "made").exists()  # the top folder it made is gone, so it blocks no next command


def test_stopped_after_saving_keeps_the_folder_and_says_how_to_go_on(tmp_path, capsys):
    root = tmp_path / "run"

    def body() -> int:
        (root / "saved.parquet").write_text("rows", encoding="utf-8")
        raise KeyboardInterrupt()

    assert run_saving(root, "saved.parquet", body, (ValueError,), nothing, kept) == EXIT_INTERRUPTED
    assert "interrupted: kept, go on with --resume" in capsys.readouterr().err
    assert (root / "saved.parquet").read_text(encoding="utf-8") == "rows"


def test_an_expected_error_is_one_line_and_a_finished_run_returns_its_code(tmp_path, capsys):
    def broken() -> int:
        raise ValueError("worlds.toml: epsilon: must be positive")

    assert run_saving(tmp_path / "a", "saved.parquet", broken, (ValueError,), nothing, kept) == 2
    assert capsys.readouterr().err.strip().endswith("worlds.toml: epsilon: must be positive")
    assert run_saving(tmp_path / "b", "saved.parquet", lambda: 0, (ValueError,), nothing, kept) == 0
