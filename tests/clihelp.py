"""The command line as its live ``--help`` describes it: commands, options, choices.

Read by the tests that hold documentation and integrations (README, GitHub
Action) to what ``esgcheck ... --help`` prints today, so that an option added,
renamed or removed shows up there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from click.testing import CliRunner


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]            # every spelling, both sides of a --x/--no-x switch
    metavar: str = ""
    choices: tuple[str, ...] = ()     # from "[a|b|c]"; empty when the value is free


@dataclass(frozen=True)
class Command:
    path: tuple[str, ...]             # () for esgcheck itself, ("rules", "list"), ...
    usage: str
    options: tuple[Option, ...]
    subcommands: tuple[str, ...] = field(default=())

    def option(self, name: str) -> Option | None:
        return next((o for o in self.options if name in o.names), None)


def help_text(path: tuple[str, ...]) -> str:
    from esgcheck.cli import main

    result = CliRunner().invoke(main, [*path, "--help"], prog_name="esgcheck",
                                terminal_width=100)
    assert result.exit_code == 0, (path, result.output, result.exception)
    return result.output


def _sections(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][A-Za-z ]*:", line):
            current = line[:-1]
            out[current] = []
        elif current:
            out[current].append(line)
    return out


def _option(declaration: str) -> Option:
    names: list[str] = []
    metavar = ""
    for part in re.split(r", | / ", declaration):
        name, _, rest = part.partition(" ")
        names.append(name)
        metavar = rest.strip() or metavar
    choices: tuple[str, ...] = ()
    m = re.fullmatch(r"\[([^\]]*\|[^\]]*)\]", metavar)
    if m:
        choices = tuple(m.group(1).split("|"))
    return Option(tuple(names), metavar, choices)


def parse(path: tuple[str, ...], text: str) -> Command:
    usage = next(line for line in text.splitlines() if line.startswith("Usage:"))
    sections = _sections(text)
    options = []
    for line in sections.get("Options", []):
        if re.match(r"  -", line):  # a declaration; descriptions are indented further
            declaration = re.split(r"\s{2,}", line.strip())[0]
            options.append(_option(declaration))
    commands = tuple(line.split()[0] for line in sections.get("Commands", [])
                     if re.match(r"  \S", line))
    return Command(path, usage, tuple(options), commands)


@cache
def commands() -> dict[tuple[str, ...], Command]:
    """Every command and group, from the live help, walked from the top."""
    out: dict[tuple[str, ...], Command] = {}
    todo: list[tuple[str, ...]] = [()]
    while todo:
        path = todo.pop(0)
        command = parse(path, help_text(path))
        out[path] = command
        todo += [(*path, sub) for sub in command.subcommands]
    return out


HELP = ("-h", "--help")
