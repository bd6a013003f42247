"""``crmsim viz``: the teacher's page (``crmsim.viz.app``) on this machine, offline, until stopped.

    crmsim viz                                  # the calibrated baseline, at http://127.0.0.1:8765
    crmsim viz scenarios/redress_procedure.toml --port 8800

``register(subparsers)`` adds the command to an argparse program. It serves
the page with Solara (``solara run``) on loopback unless ``--host`` says
otherwise, and prints the address. Nothing leaves the machine:

- ``--production`` serves Solara's own JavaScript and CSS from the installed
  ``solara-assets`` (in development mode the page loads solara.dev frames);
- ``--no-check-version`` stops the server asking the package index for a
  newer Solara; ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=false`` stops it reporting
  to api.ipify.org and api.mixpanel.com;
- the asset fallback, which fetches a file the install lacks from a CDN, is
  pointed at a closed local port, so a missing asset fails at once (and
  shows in the log) instead of being fetched from the internet.

``SOLARA_THEME_SHOW_BANNER=false`` also removes Solara's "This website runs
on Solara" badge, which sat over the page's last chart.

Ctrl-C and SIGTERM stop the server: it closes its connections, then the
process ends with the models and their play threads (one process: nothing is
left behind), exiting 130 or 143 as ``crmsim sweep`` does. So :func:`viz`
does not return once the server has started. A bad scenario file, port or
host is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import signal
import socket
import sys
import warnings
from pathlib import Path
from typing import Any

from crmsim.commands.common import PROG, fail, warn
from crmsim.model.text import bounded_int
from crmsim.texts import exits
from crmsim.texts.i18n import _

__all__ = ["register", "viz", "OFFLINE"]

APP = "crmsim.viz.app"
DEFAULT_PORT = 8765

# Set before Solara is imported: its settings read the environment once.
OFFLINE = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",  # the discard port: nothing listens, nothing leaves
    "SOLARA_THEME_SHOW_BANNER": "false",  # its badge covered a chart
}

_DESCRIPTION = """\
Open a scenario live in the browser: pick a scenario (or two, side by side),
change a lever, press play, and watch trust, knowledge and redress move across
the network. The page runs on this machine and needs no internet. Stop it
with Ctrl-C.

Or play a story: stages on the same citizens, each a policy for a fixed
number of weeks with a caption, one after another, then stop.

examples:
  crmsim viz
  crmsim viz scenarios/redress_procedure.toml --port 8800
  crmsim viz --story paper                # the baseline, digital first, then funded mediation
  crmsim viz --story scenarios/stories/mine.toml   # your own: a copy of paper.toml, edited
"""


def register(subparsers: Any) -> None:
    """Add ``viz`` to an argparse subparsers object."""
    p = subparsers.add_parser("viz", help="show a scenario live in the browser (crmsim viz)",
                              description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    from crmsim.viz.page_scenarios import BASELINE

    p.add_argument("scenario", nargs="?", metavar="SCENARIO.toml",
                   help=f"scenario to open on, among the others of its folder (default: the calibrated baseline, "
                        f"scenarios/{BASELINE}.toml)")
    p.add_argument("--story", metavar="NAME_OR_FILE",
                   help="play a story instead: a shipped one by name (paper) or a story file")
    p.add_argument("--port", type=bounded_int(1, 65535), default=DEFAULT_PORT, metavar="P",
                   help=f"port to serve on (default: {DEFAULT_PORT})")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                   help="address to serve on (default: 127.0.0.1, this machine only; 0.0.0.0 lets other "
                        "machines in, e.g. a classroom's)")
    p.set_defaults(handler=viz)


def port_problem(host: str, port: int) -> str | None:
    """Why the page could not be served at ``host:port`` (unknown host, port taken), or None."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError):
        return f"--host: {host!r} is not an address of this machine; allowed: an IP address such as 127.0.0.1 " \
               f"(the default) or 0.0.0.0, or a host name"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind(address)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return f"--port: {port} is already in use on {host}; choose another, e.g. --port {port + 1}"
            if err.errno == errno.EACCES:
                return f"--port: {port} needs administrator rights on this machine; use a port from 1024 to 65535"
            return f"--host: cannot serve on {host} ({err.strerror}); allowed: an address of this machine, e.g. " \
                   f"127.0.0.1"
    return None


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class _Stopped(Exception):
    """Ctrl-C or SIGTERM arrived, after the server shut down gracefully: exit 130 or 143."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.code = 128 + signum


def _on_signal(signum: int, frame: Any) -> None:
    raise _Stopped(signum)


def viz(args: argparse.Namespace) -> int:
    """Serve the page until Ctrl-C (exit 130) or SIGTERM (exit 143); return 2 for bad input."""
    from crmsim.texts.i18n import LANGUAGE_VARIABLE, current
    from crmsim.model.scenario import load_scenario
    from crmsim.viz.page_scenarios import SCENARIO_VARIABLE, STORY_VARIABLE, catalogue, default_folder
    from crmsim.viz.story import load_story, story_path

    if args.story is not None:
        if args.scenario is not None:
            return fail(f"give a scenario or a story, not both (got {args.scenario} and --story {args.story})")
        story = load_story(story_path(args.story))  # a bad file: one line naming it and its field, exit 2
        os.environ[STORY_VARIABLE] = str(story.path.resolve())
    elif args.scenario is not None:
        load_scenario(args.scenario)  # a bad file: one line naming it, exit 2 (crmsim.commands.main)
        os.environ[SCENARIO_VARIABLE] = str(Path(args.scenario).resolve())
    elif not catalogue(default_folder()):
        return fail(f"no scenario file in {default_folder()}/ to show; name one, e.g. crmsim viz my_scenario.toml")
    if (problem := port_problem(args.host, args.port)) is not None:
        return fail(problem)
    os.environ.update(OFFLINE)
    os.environ[LANGUAGE_VARIABLE] = current()  # the page's renderers run in threads of Solara's: tell them
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(_("{prog}: the page is at {url} (Ctrl-C to stop)").format(prog=PROG, url=f"http://{host}:{args.port}/"),
          flush=True)
    if not _loopback(args.host):
        warn(_("other machines can open it too (--host {host})").format(host=args.host))

    # Solara warns, once per visitor, that a cookie meant for pages embedded over https falls back to
    # samesite=lax over http: true, expected on loopback, and a screenful each time.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import solara.__main__ as solara_cli

    for stop in (signal.SIGINT, signal.SIGTERM):  # uvicorn handles them first, shuts down, then raises them again
        signal.signal(stop, _on_signal)
    code = exits.OK
    try:
        solara_cli.run.main([APP, "--host", args.host, "--port", str(args.port), "--production", "--no-check-version",
                             "--no-open"], standalone_mode=False)
    except _Stopped as stopped:
        code = stopped.code
    # The server has closed its connections. A tab left playing keeps Mesa's play loop running in a
    # thread of its own, which Python would wait for forever; it has nothing to save, so end here.
    print(_("{prog}: the page is stopped").format(prog=PROG), flush=True)
    sys.stderr.flush()
    os._exit(code)
