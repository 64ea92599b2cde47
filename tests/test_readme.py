"""The README's commands run as written, and its synopsis is the command line's.

Convention (also stated in README.md, "Development"):

* Every fenced ```bash (or ```sh) block is run, each command (a line, with its
  ``\\`` continuations) on its own, in one temporary copy of the repository per
  block, with this interpreter's scripts first on PATH. A command must exit 0,
  or the code a trailing ``# exit N`` comment gives.
* Every ```console block is run the same way for its ``$ `` lines, and the
  output shown under a command must appear in what it prints, in order: the
  lines between two ``...`` lines as one run of lines.
* Directives, as HTML comments on the lines just above a block (invisible on
  GitHub): ``<!-- readme-test: skip: REASON -->`` (not run, with the reason),
  ``<!-- readme-test: exit N -->`` (every command of the block exits N unless it
  says otherwise), ``<!-- readme-test: setup: COMMAND -->`` (run first, in the
  same folder), ``<!-- readme-test: installed -->`` (its ``pip install``
  commands are not run: the esgcheck under test is already installed).
* ```yaml blocks parse; ```python blocks run.
* Every ``esgcheck`` command line anywhere in a block, run or not, uses only
  commands and options that exist; the synopsis under "Using it" names every
  command and every option of the live ``--help``, and nothing else; every
  ``python bench/X.py`` command line in the README uses options that script has,
  with the same choices.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.clihelp import HELP, Command, commands

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DIRECTIVE = re.compile(r"<!-- readme-test: (.*?) -->")


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int                       # of the opening fence, 1-based
    directives: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"README.md:{self.line} ({self.lang})"

    def directive(self, key: str) -> str | None:
        for d in self.directives:
            if d == key or d.startswith(key + " ") or d.startswith(key + ":"):
                return d[len(key):].lstrip(" :")
        return None


def blocks(text: str | None = None) -> list[Block]:
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    out = []
    i = 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        directives = []
        j = i - 1
        while j >= 0 and DIRECTIVE.fullmatch(lines[j].strip()):
            directives.insert(0, DIRECTIVE.fullmatch(lines[j].strip()).group(1))  # type: ignore[union-attr]
            j -= 1
        i += 1
        body = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        out.append(Block(m.group(1), "\n".join(body) + "\n", start + 1, tuple(directives)))
        i += 1
    return out


BLOCKS = blocks()
RUN = [b for b in BLOCKS if b.lang in ("bash", "sh", "console", "python")]


def logical_lines(text: str) -> list[str]:
    """Shell lines with their backslash continuations joined; blank and comment lines dropped."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        line = (pending + raw).strip()
        pending = ""
        if line and not line.startswith("#"):
            out.append(line)
    return out


def expected_exit(command: str, block: Block) -> int:
    m = re.search(r"#\s*exits?\s+(\d+)\s*$", command)
    if m:
        return int(m.group(1))
    given = block.directive("exit")
    return int(given) if given else 0


def without_install(command: str) -> str:
    command = re.sub(r"(^|&&\s*)pip install [^&;#]*?(&&\s*|$)", r"\1", command).strip()
    return re.sub(r"&&\s*$", "", command).strip()


@dataclass(frozen=True)
class Step:
    command: str
    exit: int
    shown: tuple[str, ...] = ()     # output lines the README shows (console blocks)


def steps(block: Block) -> list[Step]:
    if block.lang == "console":
        out: list[Step] = []
        command = ""
        shown: list[str] = []
        for line in block.text.splitlines():
            if line.startswith("$ "):
                if command:
                    out.append(Step(command, expected_exit(command, block), tuple(shown)))
                command, shown = line[2:].strip(), []
            elif command:
                shown.append(line)
        if command:
            out.append(Step(command, expected_exit(command, block), tuple(shown)))
        return out
    result = []
    for command in logical_lines(block.text):
        if block.directive("installed") is not None:
            command = without_install(command)
            if not command:
                continue
        result.append(Step(command, expected_exit(command, block)))
    return result


def copy_repository(target: Path) -> Path:
    """The working tree's files (tracked and new, not ignored): what a user has."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True, check=True)
    for name in listed.stdout.decode().split("\0"):
        source = ROOT / name
        if name and source.is_file() and not source.is_symlink():
            dest = target / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest)
    return target


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESGCHECK")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    env["NO_COLOR"] = "1"
    env["COLUMNS"] = "200"
    # a pip install the README's commands still hold is a dry run: installing
    # the temporary copy would point the test environment's esgcheck at it
    env["PIP_DRY_RUN"] = "1"
    return env


def shown_chunks(shown: tuple[str, ...]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for line in shown:
        if line.strip() in ("...", "…"):
            chunks.append([])
        else:
            chunks[-1].append(line.rstrip())
    while chunks and not any(chunks[-1]):
        chunks.pop()
    return [c for c in chunks if c]


def missing_output(shown: tuple[str, ...], actual: str) -> list[str] | None:
    """The first chunk of shown lines not found, in order, in the actual output."""
    lines = [line.rstrip() for line in actual.splitlines()]
    at = 0
    for chunk in shown_chunks(shown):
        found = next((i for i in range(at, len(lines) - len(chunk) + 1)
                      if lines[i:i + len(chunk)] == chunk), None)
        if found is None:
            return chunk
        at = found + len(chunk)
    return None


@pytest.mark.parametrize("block", RUN, ids=[b.name for b in RUN])
def test_every_command_block_runs_as_written(block: Block, tmp_path: Path) -> None:
    reason = block.directive("skip")
    if reason is not None:
        assert reason, f"{block.name}: a skipped block says why"
        pytest.skip(f"{block.name}: {reason}")
    work = copy_repository(tmp_path / "repo")
    env = environment()
    for d in block.directives:
        if d.startswith("setup:"):
            done = subprocess.run(["bash", "-c", d[len("setup:"):].strip()], cwd=work, env=env,
                                  capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, (block.name, d, done.stderr)
    if block.lang == "python":
        script = work / "readme_example.py"
        script.write_text(block.text, encoding="utf-8")
        done = subprocess.run([sys.executable, str(script)], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (block.name, done.stdout[-2000:], done.stderr[-4000:])
        assert done.stdout.strip(), block.name
        return
    all_steps = steps(block)
    assert all_steps, f"{block.name}: nothing to run"
    for step in all_steps:
        # Standard output and error in one stream, as a terminal shows them.
        done = subprocess.run(["bash", "-c", step.command], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=900)
        out = done.stdout
        assert done.returncode == step.exit, (
            f"{block.name}: `{step.command}` exited {done.returncode}, the README says "
            f"{step.exit}\n{out[-4000:]}")
        if step.shown:
            missing = missing_output(step.shown, done.stdout)
            assert missing is None, (
                f"{block.name}: `{step.command}` does not print what the README shows:\n"
                + "\n".join(missing or []) + "\n--- it printed:\n" + done.stdout[-6000:])


def test_yaml_blocks_parse() -> None:
    found = [b for b in BLOCKS if b.lang in ("yaml", "yml")]
    assert found
    for block in found:
        yaml.safe_load(block.text)


def test_the_development_commands_are_what_ci_runs() -> None:
    """The README says CI does exactly its commands; compare them with .ci/run."""
    ci = {line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()}
    checks = [cmd.strip() for b in BLOCKS if b.lang == "bash"
              for line in logical_lines(b.text) for cmd in line.split("&&")
              if cmd.strip().startswith(("ruff", "mypy"))]
    assert checks, "the README shows how to lint"
    for cmd in checks:
        assert cmd in ci, f"README runs `{cmd}`, CI does not"
    test_run = next(line for b in BLOCKS if b.lang == "bash" for line in logical_lines(b.text)
                    if "apt-get install" in line)
    assert test_run in ci, "the README's test command is CI's last line"


# --- the synopsis against the live --help ----------------------------------------------------


def synopsis() -> dict[tuple[str, ...], str]:
    """The synopsis block under "Using it": each entry's command path and its text."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Using it"):]
    block = next(b for b in blocks(section) if b.lang == "text")
    known = commands()
    entries: dict[tuple[str, ...], str] = {}
    current: tuple[str, ...] | None = None
    for line in block.text.splitlines():
        if line.startswith("esgcheck"):
            words = line.split()[1:]
            path: tuple[str, ...] = ()
            for word in words:
                if (*path, word) in known:
                    path = (*path, word)
                else:
                    break
            assert path not in entries or path == (), f"synopsis: {path} twice"
            entries[path] = entries.get(path, "") + line + "\n"
            current = path
        elif line.strip():
            assert current is not None and line.startswith(" "), line
            entries[current] += line + "\n"
    return entries


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", text))


def choices_in(text: str) -> dict[str, set[str]]:
    return {m.group(1): set(m.group(2).split("|"))
            for m in re.finditer(r"(--[\w-]+)[ =]\[?([\w.-]+(?:\|[\w.-]+)+)", text)}


def test_the_synopsis_names_every_command_and_option_the_cli_has() -> None:
    entries = synopsis()
    problems = []
    for path, command in commands().items():
        leaf = not command.subcommands
        if path and not leaf:
            continue  # a group: its commands have the entries
        if path not in entries:
            problems.append(f"esgcheck {' '.join(path)}: not in the synopsis")
            continue
        written = options_in(entries[path])
        for option in command.options:
            if set(option.names) & set(HELP):
                continue
            if not set(option.names) & written:
                problems.append(f"esgcheck {' '.join(path)}: {' / '.join(option.names)} "
                                "not in the synopsis")
    assert not problems, "\n".join(problems)


def test_the_synopsis_names_nothing_the_cli_does_not_have() -> None:
    problems = []
    known = commands()
    for path, text in synopsis().items():
        command = known[path]
        names = {n for o in command.options for n in o.names}
        for option in sorted(options_in(text) - names):
            problems.append(f"esgcheck {' '.join(path)}: {option} does not exist")
        for option, values in choices_in(text).items():
            live = command.option(option)
            if live is not None and live.choices and set(live.choices) != values:
                problems.append(f"esgcheck {' '.join(path)} {option}: README "
                                f"{sorted(values)}, CLI {sorted(live.choices)}")
    assert not problems, "\n".join(problems)


def command_lines() -> list[tuple[Block, list[str]]]:
    """Every esgcheck invocation in any block (shell, console, YAML), as words."""
    out = []
    for block in BLOCKS:
        if block.lang in ("text", "python"):
            continue
        text = re.sub(r"^\s*-\s+", "", block.text, flags=re.M)  # YAML list items
        text = re.sub(r"^\s*(run|script):\s*[>|]?-?", "", text, flags=re.M)
        for line in logical_lines(text):
            line = re.sub(r"\s#.*$", "", line.removeprefix("$ "))
            for part in re.split(r"&&|\|\||;|\|", line):
                words = part.split()
                if words[:2] == ["docker", "run"] and "esgcheck" in words:
                    words = words[words.index("esgcheck"):]  # the image's entry point
                if words[:1] == ["esgcheck"] and len(words) > 1:
                    out.append((block, words))
    # YAML folded scalars (run: >) put the command on following lines
    for block in BLOCKS:
        if block.lang != "yaml":
            continue
        data = yaml.safe_load(block.text)
        for text in _strings(data):
            flat = " ".join(text.split())
            if flat.startswith("esgcheck "):
                out.append((block, shlex.split(flat.split("#")[0])))
    return out


def _strings(node: object) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


def _resolve(words: list[str]) -> tuple[Command, list[str]]:
    known = commands()
    path: tuple[str, ...] = ()
    rest = words[1:]
    while rest and (*path, rest[0]) in known:
        path = (*path, rest[0])
        rest = rest[1:]
    return known[path], rest


def test_every_esgcheck_command_line_uses_real_commands_and_options() -> None:
    lines = command_lines()
    assert len(lines) > 15
    problems = []
    for block, words in lines:
        command, rest = _resolve(words)
        if command.subcommands:
            problems.append(f"{block.name}: `{' '.join(words)}`: no such command")
            continue
        names = {n for o in command.options for n in o.names}
        for word in rest:
            option = word.split("=")[0]
            if option.startswith("-") and option not in ("-", "--") and option not in names:
                problems.append(f"{block.name}: `{' '.join(words)}`: {option} does not exist")
    assert not problems, "\n".join(problems)


# --- bench/ command lines --------------------------------------------------------------------


def bench_command_lines() -> list[tuple[str, str]]:
    """(script, options text) for every `python bench/X.py ...` in the README."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"python (bench/\w+\.py)((?: -{1,2}[\w-]+(?:[ =][^\s`]+)?)*)", text)
    return [(script, args) for script, args in found]


def test_bench_command_lines_match_the_scripts() -> None:
    lines = bench_command_lines()
    assert {s for s, _ in lines} >= {"bench/run.py", "bench/generate.py"}
    problems = []
    for script, args in lines:
        done = subprocess.run([sys.executable, str(ROOT / script), "--help"], cwd=ROOT,
                              capture_output=True, text=True, timeout=300, env=environment())
        assert done.returncode == 0, (script, done.stderr)
        options = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", done.stdout))
        live_choices = {m.group(1): set(m.group(2).split(","))
                        for m in re.finditer(r"(--[\w-]+) \{([^}]+)\}", done.stdout)}
        for option in options_in(args):
            if option not in options:
                problems.append(f"python {script}{args}: {option} does not exist")
        for option, values in choices_in(args).items():
            if option in live_choices and live_choices[option] != values:
                problems.append(f"python {script} {option}: README {sorted(values)}, "
                                f"script {sorted(live_choices[option])}")
    assert not problems, "\n".join(problems)


# --- the test of the tests -------------------------------------------------------------------


def test_the_conventions_parse_what_they_say() -> None:
    sample = (
        "<!-- readme-test: exit 1 -->\n"
        "<!-- readme-test: installed -->\n"
        "```bash\n"
        "pip install . && esgcheck check a.json \\\n    --lang en\n"
        "esgcheck check b.json   # exit 0\n"
        "```\n"
        "<!-- readme-test: skip: needs a server -->\n"
        "```console\n$ esgcheck check x\nline 1\n  ...\nlast\n$ esgcheck rules list\n```\n")
    first, second = blocks(sample)
    assert first.directive("exit") == "1" and first.directive("installed") == ""
    assert [(s.command, s.exit) for s in steps(first)] == [
        ("esgcheck check a.json      --lang en", 1), ("esgcheck check b.json   # exit 0", 0)]
    assert second.directive("skip") == "needs a server"
    console = steps(second)
    assert [s.command for s in console] == ["esgcheck check x", "esgcheck rules list"]
    assert missing_output(console[0].shown, "line 1\nmore\nlast\n") is None
    assert missing_output(console[0].shown, "last\nline 1\n") == ["last"]
    assert missing_output(("a", "b"), "a\nx\nb\n") == ["a", "b"]  # no "...": one run of lines
    assert choices_in("[--format text|json] --layout spaced|compact") == {
        "--format": {"text", "json"}, "--layout": {"spaced", "compact"}}
