"""``crmsim viz`` as a command: bad input is one line and exit 2; Ctrl-C stops it (130) and leaves nothing behind.

SIGTERM, the browser and the offline checks are in ``test_viz_page.py``.
"""

from __future__ import annotations

import signal
import socket

import pytest

from crmsim.commands import main
from tests.viz_page import serve


@pytest.mark.parametrize("argv, message", [
    (["viz", "no_such.toml"], "no_such.toml: no such file"),
    (["viz", "--port", "70000"], "argument --port: got 70000; allowed: a whole number from 1 to 65535"),
    (["viz", "--port", "eighty"], "argument --port: 'eighty' is not a whole number"),
    (["viz", "--host", "no-such-host.invalid"], "--host: 'no-such-host.invalid' is not an address of this machine"),
])
def test_bad_input_is_one_line_naming_what_is_allowed(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_bad_scenario_file_names_the_field(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[levers]\nfaq_quality = 1.5\n")
    assert main(["viz", str(bad)]) == 2
    assert capsys.readouterr().err == (f"crmsim: error: {bad}: levers.faq_quality: got 1.5; allowed: a number "
                                       f"from 0 to 1\n")


def test_a_port_in_use_is_refused_with_another_to_try(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"--port: {port} is already in use on 127.0.0.1; choose another, e.g. --port {port + 1}" in err


def test_ctrl_c_stops_the_page_with_exit_130_and_no_process_left():
    with serve(stop=signal.SIGINT, expect=130) as server:
        assert server.process.poll() is None
