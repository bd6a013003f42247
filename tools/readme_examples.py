"""Check the example outputs in README.md against what crmsim prints today, or rewrite them.

    python tools/readme_examples.py            # run every example; print a diff and exit 1 if one differs
    python tools/readme_examples.py --write    # run them and write today's outputs into README.md

An example is a fenced block marked ``console``: each line ``$ crmsim ARGS...``
is a command, and the lines under it, up to the next ``$`` line or the end of
the block, are what it prints (stdout and stderr together, as a terminal shows
them). A line ``...`` alone in an expected output stands for any number of
lines, none included, so a long output can be shown in part::

    ```console
    $ crmsim validate scenarios/faq.toml
    ok scenarios/faq.toml
    $ crmsim policies
    supply_front_office  (paper 1, 2.1)
    ...
    ```

Every block runs in a temporary folder holding a copy of the inputs an
example may read (``scenarios/``, ``experiments/``, ``calibration/``,
``docs/examples/``), so the paths are written as from the repository's root
and whatever a command writes (``results/``, a new scenario) lands in the copy,
never in the repository. The commands of one block run in order in the same
folder (a sweep, then its report); blocks run in parallel, one per core.
Commands run as ``python -m crmsim`` with this interpreter, in English (LANG
is C.UTF-8: ``--lang fr`` still asks for French), 100 columns wide, with
Python's output unbuffered so stdout and stderr interleave as on a terminal.
``*`` in an argument is expanded as the shell would, in the copy.

``--write`` keeps each elision: where an output is shown in part, the lines
kept are those nearest to what was shown (difflib's similarity), in runs as
long as before. Exit codes: 0 all match (or were written), 1 an example
differs or failed to run, 2 the README has a malformed example.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import difflib
import glob
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Example", "Block", "Result", "parse", "run_block", "run_all", "matches", "rewrite", "diff", "write",
           "ELISION", "README", "ROOT"]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ELISION = "..."
PROMPT = "$ "
FENCE_OPEN = "```console"
FENCE_CLOSE = "```"
# What an example may read, copied into each block's folder (relative to the repository's root).
INPUTS = ("scenarios", "experiments", "calibration", "docs/examples")
_SKIP = shutil.ignore_patterns("*.py", "__pycache__", "*.db", "results")
TIMEOUT = 300  # seconds a command may take before it counts as failed


class ReadmeError(ValueError):
    """A malformed example: a console block without a command, or a command other than crmsim."""


@dataclass
class Example:
    """One ``$ crmsim ...`` line and the output shown under it."""

    line: int  # 0-based index of the ``$`` line in the file
    command: str  # the text after "$ "
    expected: list[str]
    end: int  # 0-based index just past the expected output

    @property
    def args(self) -> list[str]:
        """The command's arguments after ``crmsim``."""
        return shlex.split(self.command)[1:]

    def where(self, path: Path = README) -> str:
        return f"{path.name}:{self.line + 1}"


@dataclass
class Block:
    """A ``console`` block: commands run in order, in one folder."""

    line: int
    examples: list[Example] = field(default_factory=list)


@dataclass
class Result:
    """What one example printed, and whether it is what the README shows."""

    example: Example
    output: list[str]
    returncode: int | None  # None: it did not finish (timeout, or could not start)
    seconds: float

    @property
    def ok(self) -> bool:
        return self.returncode is not None and matches(self.example.expected, self.output)


def parse(text: str) -> list[Block]:
    """The console blocks of a Markdown text, each with its examples.

    >>> blocks = parse("x\\n```console\\n$ crmsim policies\\nfaq\\n...\\n$ crmsim validate a.toml\\nok a.toml\\n```\\n")
    >>> [(e.line, e.command, e.expected, e.end) for e in blocks[0].examples]
    [(2, 'crmsim policies', ['faq', '...'], 5), (5, 'crmsim validate a.toml', ['ok a.toml'], 7)]
    """
    lines = text.split("\n")
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        if lines[i].strip() != FENCE_OPEN:
            i += 1
            continue
        block = Block(line=i)
        i += 1
        while i < len(lines) and lines[i].strip() != FENCE_CLOSE:
            line = lines[i]
            if line.startswith(PROMPT):
                command = line[len(PROMPT):].strip()
                try:
                    words = shlex.split(command)
                except ValueError as err:
                    raise ReadmeError(f"line {i + 1}: {command!r}: {err}") from None
                if not words or words[0] != "crmsim":
                    raise ReadmeError(f"line {i + 1}: {command!r}: allowed: only crmsim commands ($ crmsim ...)")
                if block.examples:
                    block.examples[-1].end = i
                block.examples.append(Example(line=i, command=command, expected=[], end=i + 1))
            elif not block.examples:
                raise ReadmeError(f"line {i + 1}: a console block must start with a command ($ crmsim ...), "
                                  f"got {line!r}")
            else:
                block.examples[-1].expected.append(line.rstrip())
            i += 1
        if i >= len(lines):
            raise ReadmeError(f"line {block.line + 1}: a console block is never closed with ```")
        if not block.examples:
            raise ReadmeError(f"line {block.line + 1}: an empty console block")
        block.examples[-1].end = i
        blocks.append(block)
        i += 1
    return blocks


def _clean(lines: list[str]) -> list[str]:
    """Lines without trailing spaces, and without blank lines at the end."""
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, each ``...`` line standing for any number of lines (none included).

    >>> matches(["a", "...", "d"], ["a", "b", "c", "d"]), matches(["a", "...", "d"], ["a", "d"])
    (True, True)
    >>> matches(["a", "...", "d"], ["a", "b"]), matches(["a"], ["a", "b"]), matches(["a", "..."], ["a", "b"])
    (False, False, True)
    """
    expected, actual = _clean(expected), _clean(actual)
    # reach[j]: expected[:i] can match actual[:j]; filled one expected line at a time.
    reach = [True] + [False] * len(actual)
    for line in expected:
        if line == ELISION:
            for j in range(1, len(reach)):
                reach[j] = reach[j] or reach[j - 1]
        else:
            reach = [False] + [reach[j] and actual[j] == line for j in range(len(actual))]
    return reach[-1]


def _segments(expected: list[str]) -> tuple[list[list[str]], bool, bool]:
    """The runs of shown lines between elisions, and whether the output is elided before the first, after the last."""
    segments: list[list[str]] = [[]]
    for line in expected:
        if line == ELISION:
            segments.append([])
        else:
            segments[-1].append(line)
    head, tail = not segments[0], not segments[-1]
    return [s for s in segments if s], head, tail


def _similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def rewrite(expected: list[str], actual: list[str]) -> list[str]:
    """``expected`` brought up to date with ``actual``, keeping its elisions.

    An output shown whole becomes ``actual``. One shown in part keeps its
    shape: each run of shown lines becomes the run of as many lines of
    ``actual``, in order, most like it (a first run with nothing elided before
    it stays at the start, a last one with nothing elided after it at the end).

    >>> rewrite(["metric  value", "trust   0.51", "...", "cost    21.0"],
    ...         ["metric  value", "trust   0.55", "gini    0.1", "lost    0.3", "cost    22.5"])
    ['metric  value', 'trust   0.55', '...', 'cost    22.5']
    >>> rewrite(["ok a.toml"], ["ok a.toml", "ok b.toml"])
    ['ok a.toml', 'ok b.toml']
    """
    expected, actual = _clean(expected), _clean(actual)
    if matches(expected, actual):
        return expected
    segments, head, tail = _segments(expected)
    if ELISION not in expected or not segments:
        return actual
    n, k = len(actual), len(segments)

    def score(seg: list[str], start: int) -> float:
        return sum(_similarity(line, actual[start + i]) for i, line in enumerate(seg))

    # best[s][p]: the best total score placing segments[:s] with segment s-1 ending at or before p.
    # Placement is dynamic programming over start positions; segments keep their lengths, in order, without overlap.
    NONE = float("-inf")
    best = [[0.0] * (n + 1)] + [[NONE] * (n + 1) for _ in range(k)]
    choice: list[list[int | None]] = [[None] * (n + 1) for _ in range(k + 1)]
    for s, seg in enumerate(segments, start=1):
        length = len(seg)
        for p in range(n + 1):
            # carry: segment s ends before p (not the last one when it must end where the output ends)
            if p > 0 and best[s][p - 1] > best[s][p] and not (s == k and not tail):
                best[s][p], choice[s][p] = best[s][p - 1], choice[s][p - 1]
            start = p - length
            if start < 0 or best[s - 1][start] == NONE:
                continue
            if s == 1 and not head and start != 0:
                continue
            if s == k and not tail and p != n:
                continue
            total = best[s - 1][start] + score(seg, start)
            if total > best[s][p]:
                best[s][p], choice[s][p] = total, start
    if best[k][n] == NONE:  # the output is too short to keep the shape: show it whole
        return actual
    starts: list[int] = []
    p = n
    for s in range(k, 0, -1):
        start = choice[s][p]
        assert start is not None
        starts.append(start)
        p = start
    starts.reverse()
    out: list[str] = [ELISION] if head else []
    for s, (seg, start) in enumerate(zip(segments, starts)):
        if s:
            out.append(ELISION)
        out.extend(actual[start:start + len(seg)])
    return out + [ELISION] if tail else out


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "FORCE_COLOR"):
        env.pop(name, None)
    env.update(LANG="C.UTF-8", COLUMNS="100", LINES="40", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8",
               NO_COLOR="1", TERM="dumb")
    return env


def _expand(args: list[str], cwd: Path) -> list[str]:
    """Arguments with shell patterns expanded in ``cwd`` (sorted, as bash does); a pattern matching nothing stays."""
    out: list[str] = []
    for arg in args:
        if any(c in arg for c in "*?["):
            found = sorted(str(Path(p)) for p in glob.glob(arg, root_dir=cwd))
            out.extend(found or [arg])
        else:
            out.append(arg)
    return out


def _copy_inputs(root: Path, folder: Path) -> None:
    for name in INPUTS:
        source = root / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=_SKIP)


def run_block(block: Block, root: Path = ROOT, python: str = sys.executable,
              timeout: float = TIMEOUT) -> list[Result]:
    """Run a block's commands in order, in a fresh folder holding a copy of ``root``'s inputs."""
    results = []
    with tempfile.TemporaryDirectory(prefix="crmsim-readme-") as tmp:
        folder = Path(tmp)
        _copy_inputs(root, folder)
        env = _environment()
        for example in block.examples:
            began = time.perf_counter()
            try:
                done = subprocess.run([python, "-m", "crmsim", *_expand(example.args, folder)], cwd=folder, env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      timeout=timeout)
                text, code = done.stdout.decode("utf-8", "replace"), done.returncode
            except subprocess.TimeoutExpired as err:
                text = (err.stdout or b"").decode("utf-8", "replace") + f"\n[timed out after {timeout:g} s]"
                code = None
            text = text.replace(str(folder) + os.sep, "").replace(str(folder), ".")
            results.append(Result(example, _clean(text.split("\n")), code, time.perf_counter() - began))
    return results


def _cost(block: Block) -> int:
    """A guess of how long a block takes, to start the longest first."""
    return sum(3 if e.args[:1] in (["compare"], ["sweep"], ["report"]) else 1 for e in block.examples)


def run_all(blocks: list[Block], root: Path = ROOT, jobs: int | None = None, python: str = sys.executable,
            timeout: float = TIMEOUT) -> list[Result]:
    """Every block's results, blocks run in parallel (``jobs`` at once, default one per core), in README order."""
    jobs = jobs or os.cpu_count() or 1
    order = sorted(range(len(blocks)), key=lambda b: -_cost(blocks[b]))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {b: pool.submit(run_block, blocks[b], root, python, timeout) for b in order}
        return [result for b in range(len(blocks)) for result in futures[b].result()]


def diff(result: Result, path: Path = README) -> str:
    """What differs between the output shown and the output printed, as a unified diff: the shown lines against
    what ``--write`` would put in their place (so an elided part is compared as shown)."""
    example = result.example
    status = "did not finish" if result.returncode is None else f"exit code {result.returncode}"
    lines = difflib.unified_diff(_clean(example.expected), rewrite(example.expected, result.output),
                                 f"{example.where(path)} (shown)", f"$ {example.command} (printed, {status})",
                                 lineterm="")
    return "\n".join(lines)


def write(text: str, results: list[Result]) -> str:
    """``text`` with each example's shown output replaced by its rewrite from what was printed."""
    lines = text.split("\n")
    for result in sorted(results, key=lambda r: -r.example.line):
        example = result.example
        lines[example.line + 1:example.end] = rewrite(example.expected, result.output)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check (or, with --write, update) the example outputs in README.md.")
    parser.add_argument("readme", nargs="?", type=Path, default=README, help="the Markdown file (default: README.md)")
    parser.add_argument("--write", action="store_true", help="write what the commands print into the file")
    parser.add_argument("--jobs", type=int, default=None, help="blocks run at once (default: one per core)")
    args = parser.parse_args(argv)
    path = args.readme.resolve()
    text = path.read_text(encoding="utf-8")
    try:
        blocks = parse(text)
    except ReadmeError as err:
        print(f"readme_examples: error: {path.name}: {err}", file=sys.stderr)
        return 2
    results = run_all(blocks, root=path.parent, jobs=args.jobs)
    bad = [r for r in results if not r.ok]
    for result in results:
        mark = "ok  " if result.ok else "DIFF"
        print(f"{mark} {result.example.where(path)}  $ {result.example.command}  ({result.seconds:.1f} s)")
    if args.write:
        updated = write(text, results)
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            print(f"wrote {path.name}: {len(bad)} example(s) updated")
        unfinished = [r for r in results if r.returncode is None]
        for result in unfinished:
            print(diff(result, path))
        return 1 if unfinished else 0
    for result in bad:
        print(diff(result, path))
    if bad:
        print(f"{len(bad)} of {len(results)} example(s) differ: python tools/readme_examples.py --write updates them")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
