"""Reading hostile input: nothing outside the input is read, and every stage
of reading a filing is bounded in time and memory.

Each class of attack has a test that fails without the defence it names:
DTDs anywhere in any encoding and libxml2's catalog, special files, links out
of a submitted folder or a rule base, quadratic work before the limits apply,
YAML aliases, and XML attributes and elements outside the filing's namespace.
Whatever could hang without its defence (a FIFO, /dev/zero, a YAML bomb, a
quadratic filing) runs in a subprocess with a timeout, or against a FIFO
whose every opening is seen and answered at once, so the test fails instead
of hanging. The README's attack table points at these tests.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from esgcheck.checker import Checker, Options
from esgcheck.engine import yamlio
from esgcheck.engine.chain import Evaluation, EvaluationLimitError
from esgcheck.engine.filing_types import default_registry
from esgcheck.engine.rbload import load_rulebase
from esgcheck.engine.rulebase import RuleBaseError
from esgcheck.filings.errors import InputError
from esgcheck.filings.jsonlocate import LineIndex
from esgcheck.filings.jsonread import line_column
from esgcheck.filings.limits import LimitExceeded, Limits
from esgcheck.filings.paths import RefusedPath, expand, read_regular
from esgcheck.filings.reader import read_bytes
from esgcheck.filings.validate import (
    MAX_PER_KIND,
    StructuralProblem,
    _FirstOfEachKind,
    _order,
)
from esgcheck.ruletest import RuleTester

from .conftest import FIXTURES, ROOT

BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
import hostile_cases  # noqa: E402 - the bench's builders of the worst cases

ANNUAL_JSON = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.json"
ANNUAL_XML = FIXTURES / "cn-eidm-annual" / "01-compliant-key-discharger.xml"
NS = "urn:esgcheck:cn-eidm-annual:1"
SECRET = "esgcheck-canary-9c41"
DEMO = ROOT / "tests" / "rulebases" / "demo"
FAST = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def esgcheck(*args: str, timeout: float = 60, cwd: Path | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, so that a hang is a failure."""
    return subprocess.run([sys.executable, "-m", "esgcheck", *args], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env=env)


def python(code: str, timeout: float = 60, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=ROOT)


class WatchedFifo:
    """A FIFO that records whether anything opens it to read. A writer end is
    tried without blocking every millisecond; once something (libxml2) has
    opened the FIFO, the writer end opens, is counted and closed at once, so
    the reader meets an empty file and nothing hangs."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: nobody has it open to read
                time.sleep(0.001)
                continue
            self.opened += 1
            os.close(fd)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture()
def fifo(tmp_path: Path) -> Iterator[WatchedFifo]:
    watched = WatchedFifo(tmp_path / "watched.fifo")
    yield watched
    watched.stop()


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside any submission, holding a secret and a filing that
    carries the secret as its enterprise name."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.txt").write_text(f'<!ENTITY leak "{SECRET}">', encoding="utf-8")
    doc = json.loads(ANNUAL_JSON.read_text(encoding="utf-8"))
    doc["cover"]["enterprise_name"] = SECRET
    (folder / "filing.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return folder


def body_xml() -> str:
    """The compliant annual sample in XML, without its declaration."""
    return ANNUAL_XML.read_text(encoding="utf-8").split("?>", 1)[1]


# ---------------------------------------------------------------- 1. DTDs anywhere

# Encodings a filing may be in, each as (declared name, how the text becomes
# bytes). esgcheck decodes them itself, so it reads EBCDIC too, which the
# libxml2 of the lxml wheels does not.
ENCODINGS: dict[str, tuple[str, Any]] = {
    "utf-8": ("UTF-8", lambda t: t.encode("utf-8")),
    "utf-8 with BOM": ("UTF-8", lambda t: b"\xef\xbb\xbf" + t.encode("utf-8")),
    "utf-16-le with BOM": ("UTF-16", lambda t: b"\xff\xfe" + t.encode("utf-16-le")),
    "utf-16-be with BOM": ("UTF-16", lambda t: b"\xfe\xff" + t.encode("utf-16-be")),
    "utf-16-le, no BOM": ("UTF-16", lambda t: t.encode("utf-16-le")),
    "utf-32-le with BOM": ("UTF-32", lambda t: b"\xff\xfe\x00\x00" + t.encode("utf-32-le")),
    "gb18030": ("GB18030", lambda t: t.encode("gb18030")),
    "iso-8859-1": ("ISO-8859-1", lambda t: t.encode("iso-8859-1", "xmlcharrefreplace")),
    "ebcdic": ("IBM037", lambda t: t.encode("cp037", "xmlcharrefreplace")),
}

DOCTYPES = {
    "external parameter entity": '<!DOCTYPE AnnualReport [<!ENTITY % x SYSTEM "{target}"> %x;]>',
    "external entity": '<!DOCTYPE AnnualReport [<!ENTITY x SYSTEM "file://{target}">]>',
    "external DTD": '<!DOCTYPE AnnualReport SYSTEM "{target}">',
    "public identifier": '<!DOCTYPE AnnualReport PUBLIC "-//Esg//Probe//EN" "{target}">',
}


def xml_document(encoding: str, prolog: str, doctype: str | None, content: str = "") -> bytes:
    declared, encode = ENCODINGS[encoding]
    body = body_xml()
    if content:
        body = body.replace("<enterprise_name>", f"<enterprise_name>{content}", 1)
    text = f'<?xml version="1.0" encoding="{declared}"?>{prolog}{doctype or ""}{body}'
    data: bytes = encode(text)
    return data


prolog_piece = st.one_of(
    st.integers(0, 90_000).map(lambda n: f"<!--{'c' * n}-->"),
    st.integers(0, 30_000).map(lambda n: f"<?probe {'p' * n}?>"),
    st.integers(0, 70_000).map(lambda n: " \n\t"[n % 3] * n),
)


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_each_encoding_is_read_without_a_doctype(checker: Checker, encoding: str) -> None:
    """The control: every encoding of the property test below is one esgcheck
    reads, so a refusal there is the DOCTYPE's and not the encoding's."""
    data = xml_document(encoding, f"<!--{'c' * 70_000}-->", None)
    report = checker.check_bytes(data, "f.xml")
    assert report.status == "checked", report.error
    assert report.grade == checker.check_file(ANNUAL_XML, "f.xml").grade


@FAST
@given(pieces=st.lists(prolog_piece, max_size=4), encoding=st.sampled_from(list(ENCODINGS)),
       form=st.sampled_from(list(DOCTYPES)))
def test_a_doctype_is_refused_wherever_it_stands(
        checker: Checker, outside: Path, tmp_path_factory: pytest.TempPathFactory,
        pieces: list[str], encoding: str, form: str) -> None:
    """After comments, processing instructions and whitespace of any length, in
    any encoding: refused as xml_doctype, with one message whatever the entity
    names (an existing file, a missing one, a FIFO), the FIFO never opened and
    the existing file's content nowhere in the report."""
    fifo = WatchedFifo(tmp_path_factory.mktemp("fifo") / "entity.fifo")
    try:
        prolog = "".join(pieces)
        messages = set()
        for target in (outside / "secret.txt", outside / "missing.txt", fifo.path):
            data = xml_document(encoding, prolog, DOCTYPES[form].format(target=target),
                                content="&leak;&x;")
            report = checker.check_bytes(data, "f.xml")
            assert report.status == "unreadable" and report.error is not None
            assert report.error.code == "xml_doctype", report.error
            assert SECRET not in report.model_dump_json()
            assert str(target) not in report.model_dump_json()
            messages.add((report.error.message.en, report.error.message.zh))
        assert len(messages) == 1
    finally:
        fifo.stop()
    assert fifo.opened == 0


def test_a_doctype_naming_dev_zero_is_refused_at_once() -> None:
    """/dev/zero never ends: libxml2 reading it would hang, so this runs in a
    process of its own with a timeout, on documents built by the bench."""
    run = python("""
        import sys, time
        sys.path.insert(0, "bench")
        import hostile_cases as h
        from esgcheck.filings import xmlparse
        from esgcheck.filings.errors import InputError
        for pad in (0, 70_000, 300_000):
            for enc in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
                start = time.monotonic()
                try:
                    xmlparse.parse(h.doctype_after(pad, enc)(), "f.xml")
                    print("read", pad, enc)
                except InputError as exc:
                    print(exc.code, pad, enc, round(time.monotonic() - start, 3))
    """, timeout=60)
    lines = run.stdout.split("\n")[:-1]
    assert len(lines) == 12, run.stderr
    assert all(line.startswith("xml_doctype ") and float(line.split()[-1]) < 2
               for line in lines), lines


def test_libxml2_never_opens_its_catalog(tmp_path: Path) -> None:
    """libxml2 looks up external identifiers in a catalog, by default a path
    compiled into it (for the wheels, a path on the machine that built them),
    or XML_CATALOG_FILES. Pointed at a watched FIFO: esgcheck's reading never
    opens it, not even when the DOCTYPE check is bypassed and libxml2 itself
    meets external identifiers (the resolver answers them); the same parser
    options without the resolver do open it (load_dtd=False does not stop
    libxml2 looking up an external DTD), which shows the watch works."""
    catalog = WatchedFifo(tmp_path / "catalog.fifo")
    env = {**os.environ, "XML_CATALOG_FILES": str(catalog.path)}
    doctypes = [
        '<!DOCTYPE AnnualReport PUBLIC "-//Esg//Probe//EN" "probe.dtd">',
        '<!DOCTYPE AnnualReport SYSTEM "probe.dtd">',
        '<!DOCTYPE AnnualReport [<!ENTITY % x PUBLIC "-//Esg//Probe//EN" "e.ent"> %x;]>',
    ]
    probe = f"""
        from lxml import etree
        from esgcheck.filings import xmlparse
        from esgcheck.filings.errors import InputError
        NS = {NS!r}
        for doctype in {doctypes!r}:
            doc = ('<?xml version="1.0"?><!--' + 'c' * 70000 + '-->' + doctype
                   + '<AnnualReport xmlns="' + NS + '"/>').encode()
            try:
                xmlparse.parse(doc, "f.xml")
            except InputError as exc:
                assert exc.code == "xml_doctype", exc
            # the second wall alone: libxml2 parses the DOCTYPE, the resolver answers
            parser = xmlparse._parser()
            resolver = xmlparse._NothingExternal()
            parser.resolvers.add(resolver)
            etree.fromstring(doc, parser)
            assert resolver.asked
        print("done")
    """
    try:
        ours = python(probe, env=env, timeout=60)
        assert ours.stdout.strip() == "done", ours.stderr
        assert catalog.opened == 0
        plain = python(f"""
            from lxml import etree
            from esgcheck.filings import xmlparse
            try:  # esgcheck's parser options, without the resolver
                etree.fromstring({doctypes[1]!r}.encode() + b'<AnnualReport/>',
                                 xmlparse._parser())
            except etree.XMLSyntaxError:
                pass
            print("done")
        """, env=env, timeout=60)
        assert plain.stdout.strip() == "done", plain.stderr
        assert catalog.opened > 0
    finally:
        catalog.stop()


# ---------------------------------------------------------------- 2. special files

def filings(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["file"]: f for f in report["filings"]}


def test_devices_and_fifos_on_the_command_line_are_refused(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    good = tmp_path / "good.json"
    shutil.copy(ANNUAL_JSON, good)
    run = esgcheck("check", "--format", "json", "/dev/zero", "/dev/urandom", str(pipe),
                   str(good), timeout=60)
    assert run.returncode == 2, run.stderr
    by_file = filings(json.loads(run.stdout))
    assert [f["status"] for f in by_file.values()] == ["unreadable"] * 3 + ["checked"]
    for name, kind_en, kind_zh in (("/dev/zero", "character device", "字符设备"),
                                   ("/dev/urandom", "character device", "字符设备"),
                                   (str(pipe), "FIFO", "命名管道")):
        error = by_file[name]["error"]
        assert error["code"] == "not_regular"
        assert kind_en in error["message"]["en"] and kind_zh in error["message"]["zh"]


def test_special_files_in_a_folder_are_listed_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(ANNUAL_JSON, folder / "a-good.json")
    os.mkfifo(folder / "b-pipe.xml")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(folder / "c-socket.json"))
    os.mkfifo(folder / "not-a-filing.fifo")  # not a filing's name: not one of the filings
    try:
        run = esgcheck("check", "--format", "json", "inbox", cwd=tmp_path, timeout=60)
    finally:
        server.close()
    assert run.returncode == 2 and run.stdout, run.stderr
    by_file = filings(json.loads(run.stdout))
    assert list(by_file) == ["inbox/a-good.json", "inbox/b-pipe.xml", "inbox/c-socket.json"]
    assert by_file["inbox/a-good.json"]["status"] == "checked"
    assert by_file["inbox/b-pipe.xml"]["error"]["code"] == "not_regular"
    assert "FIFO" in by_file["inbox/b-pipe.xml"]["error"]["message"]["en"]
    assert "socket" in by_file["inbox/c-socket.json"]["error"]["message"]["en"]


def test_the_evidence_bundle_never_opens_a_special_file(tmp_path: Path) -> None:
    """The bundle hashes and copies the filings of the report: a FIFO among
    them is listed without its bytes, never opened (it used to be waited on),
    and the files the user gives with the options are read the same way."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    shutil.copy(ANNUAL_JSON, folder / "a-good.json")
    os.mkfifo(folder / "b-pipe.xml")
    os.mkfifo(tmp_path / "waivers.yaml")
    run = esgcheck("check", "--format", "json", "--evidence", "bundle", "inbox",
                   cwd=tmp_path, timeout=60)
    assert run.returncode == 2 and run.stdout, run.stderr
    manifest = (tmp_path / "bundle" / "manifest.json").read_text(encoding="utf-8")
    assert "inbox/b-pipe.xml" in manifest and "inbox/a-good.json" in manifest
    run = esgcheck("check", "--waivers", "waivers.yaml", "inbox/a-good.json", cwd=tmp_path,
                   timeout=60)
    assert run.returncode == 2 and "waivers.yaml" in run.stdout + run.stderr, run.stderr
    assert "Traceback" not in run.stderr


@FAST
@given(size=st.integers(0, 5000), limit=st.integers(1, 5000), claimed=st.sampled_from([0, None]))
def test_the_reader_never_reads_past_the_limit(tmp_path_factory: pytest.TempPathFactory,
                                               size: int, limit: int,
                                               claimed: int | None) -> None:
    """Whatever size the file claims (0, as /proc and devices claim, or its
    own), no more than the limit and one byte are read."""
    path = tmp_path_factory.mktemp("r") / "f.json"
    path.write_bytes(b"x" * size)
    read = 0
    real_read, real_fstat = os.read, os.fstat

    def counting_read(fd: int, n: int) -> bytes:
        nonlocal read
        chunk = real_read(fd, n)
        read += len(chunk)
        return chunk

    def lying_fstat(fd: int) -> Any:
        info = real_fstat(fd)
        if claimed is None:
            return info
        return os.stat_result((*info[:6], claimed, *info[7:10]))

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "read", counting_read)
        mp.setattr(os, "fstat", lying_fstat)
        try:
            assert read_regular(path, "f.json", limit) == b"x" * size
            assert size <= limit
        except LimitExceeded as exc:
            assert size > limit and exc.code == "limit.bytes"
    assert read <= limit + 1


def test_a_file_swapped_for_a_fifo_after_the_check_is_not_waited_on(tmp_path: Path) -> None:
    """The reader checks again what it opened: a FIFO that takes a regular
    file's place between the check and the opening is refused, not read."""
    path = tmp_path / "f.json"
    path.write_bytes(b"{}")
    real_stat = os.stat

    def swap(p: Any, *args: Any, **kwargs: Any) -> Any:
        info = real_stat(p, *args, **kwargs)
        if Path(p) == path and stat.S_ISREG(info.st_mode):
            path.unlink()
            os.mkfifo(path)
        return info

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(os, "stat", swap)
        with pytest.raises(InputError) as refused:
            read_regular(path, "f.json", 100)
    assert refused.value.code == "not_regular"


# ---------------------------------------------------------------- 3. links out

@pytest.fixture()
def linked_folder(tmp_path: Path, outside: Path) -> Path:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(ANNUAL_JSON, folder / "a-good.json")
    shutil.copy(ANNUAL_JSON, folder / "sub" / "inner.json")
    (folder / "b-out.json").symlink_to(outside / "filing.json")
    (folder / "c-out-dir").symlink_to(outside)
    (folder / "d-in.json").symlink_to(folder / "a-good.json")
    (folder / "e-in-dir").symlink_to(folder / "sub")
    (folder / "f-dangling.json").symlink_to(outside / "nothing.json")
    (folder / "g-dotdot.json").symlink_to(Path("..") / ".." / outside.name / "filing.json")
    return folder


def test_links_out_of_a_folder_are_refused_and_named(checker: Checker, linked_folder: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(linked_folder.parent)
    report = checker.check_paths([Path("inbox")])
    by_file = {f.file: f for f in report.filings}
    assert list(by_file) == ["inbox/a-good.json", "inbox/b-out.json", "inbox/c-out-dir",
                             "inbox/d-in.json", "inbox/f-dangling.json",
                             "inbox/g-dotdot.json", "inbox/sub/inner.json"]
    for name in ("inbox/b-out.json", "inbox/c-out-dir", "inbox/f-dangling.json",
                 "inbox/g-dotdot.json"):
        f = by_file[name]
        assert f.status == "unreadable" and f.error is not None
        assert f.error.code == "link_outside", name
        assert "symbolic link" in f.error.message.en and "符号链接" in f.error.message.zh
    for name in ("inbox/a-good.json", "inbox/d-in.json", "inbox/sub/inner.json"):
        assert by_file[name].status == "checked"
    assert SECRET not in report.model_dump_json()
    assert report.summary.unreadable == 4


def test_refusals_reach_the_report_from_worker_processes(checker: Checker, linked_folder: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    monkeypatch.chdir(linked_folder.parent)
    one = checker.check_paths([Path("inbox")])
    two = checker.check_paths([Path("inbox")], jobs=2)
    assert one.model_dump_json() == two.model_dump_json()
    refused = next(p for p, _ in expand([Path("inbox")]) if isinstance(p, RefusedPath))
    again = pickle.loads(pickle.dumps(refused))
    assert isinstance(again, RefusedPath) and again.code == refused.code == "link_outside"
    with pytest.raises(OSError):
        again.open("rb")


def test_a_link_given_on_the_command_line_is_followed(checker: Checker, outside: Path,
                                                      tmp_path: Path) -> None:
    """Naming a link is the user's choice: it is checked as what it leads to."""
    link = tmp_path / "mine.json"
    link.symlink_to(outside / "filing.json")
    report = checker.check_paths([link])
    assert [f.status for f in report.filings] == ["checked"]


def test_an_unreadable_subfolder_is_an_entry(checker: Checker, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "inbox"
    (folder / "locked").mkdir(parents=True)
    shutil.copy(ANNUAL_JSON, folder / "good.json")
    shutil.copy(ANNUAL_JSON, folder / "locked" / "hidden.json")
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if Path(path).name == "locked":  # as chmod 000 would, for a user other than root
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.chdir(tmp_path)
    report = checker.check_paths([Path("inbox")])
    by_file = {f.file: f for f in report.filings}
    assert by_file["inbox/good.json"].status == "checked"
    locked = by_file["inbox/locked"]
    assert locked.status == "unreadable" and locked.error is not None
    assert locked.error.code == "folder_unreadable"
    assert "Permission denied" in locked.error.message.en


@pytest.fixture()
def demo_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "rules" / "demo"
    shutil.copytree(DEMO, copy)
    return copy


def test_a_rule_base_data_file_linking_outside_is_a_load_error(demo_copy: Path,
                                                               outside: Path) -> None:
    data = demo_copy / "data" / "cf-thresholds.yaml"
    shutil.copy(data, outside / "cf-thresholds.yaml")
    data.unlink()
    data.symlink_to(outside / "cf-thresholds.yaml")
    with pytest.raises(RuleBaseError) as refused:
        load_rulebase(demo_copy, default_registry())
    problems = refused.value.problems
    assert any(p.file.endswith("data/cf-thresholds.yaml") and "outside the rule base"
               in p.message for p in problems), problems


@pytest.mark.parametrize("base", ["../../../../../../etc/hostname", "/etc/hostname",
                                  "link.json", "../rulebase.yaml/../../outside.json"])
def test_a_rule_test_base_outside_the_rule_base_is_refused(demo_copy: Path, outside: Path,
                                                           base: str) -> None:
    tests = demo_copy / "tests"
    (tests / "link.json").symlink_to(outside / "filing.json")
    shutil.copy(outside / "filing.json", demo_copy.parent / "outside.json")
    case = tests / "DEMO-DIS-001.yaml"
    case.write_text(case.read_text(encoding="utf-8").replace(
        "base: base-discharge.json", f"base: {base}"), encoding="utf-8")
    checker = Checker([demo_copy])
    reports = RuleTester(checker.rulebases[0], checker.registry).run({"DEMO-DIS-001"})
    problems = reports[0].problems
    assert any(p.startswith("DEMO-DIS-001.yaml:4: base ") and "outside the rule base" in p
               for p in problems), problems
    assert not reports[0].results


# ---------------------------------------------------------------- 4. linear work

def test_line_index_agrees_with_counting_from_the_start() -> None:
    @FAST
    @given(text=st.text(alphabet="ab\n中", max_size=20_000), data=st.data())
    def agree(text: str, data: st.DataObject) -> None:
        index = LineIndex(text)
        for offset in data.draw(st.lists(st.integers(0, len(text)), max_size=20)):
            assert index.line_column(offset) == line_column(text, offset)
    agree()


def timed(checker: Checker, data: bytes, name: str, options: Options | None = None
          ) -> tuple[float, Any]:
    start = time.monotonic()
    report = checker.check_bytes(data, name, options or Options())
    return time.monotonic() - start, report


def test_ten_thousand_unexpected_members_are_quick(checker: Checker) -> None:
    """Took 10 to 20 s, each finding located from the start of the text. Past
    MAX_PER_KIND of one kind, one summary finding says how many more there
    are, located at the first of them."""
    seconds, report = timed(checker, hostile_cases.unexpected_members(10_000)(), "f.json")
    assert seconds < 3, seconds
    extra = [f for f in report.findings if f.rule_id == "SCHEMA.additionalProperties"]
    assert len(extra) == MAX_PER_KIND
    (summary,) = [f for f in report.findings if f.rule_id == "SCHEMA.truncated"]
    more = f"{10_000 - MAX_PER_KIND:,}"
    assert f"{more} more" in summary.message.en and more in summary.message.zh
    assert summary.location.exists and summary.location.line == 1


@FAST
@given(items=st.lists(st.tuples(st.sampled_from(["required", "type"]), st.sampled_from("ab"),
                                st.integers(0, 60)), max_size=300),
       limit=st.integers(1, 20))
def test_the_problems_kept_are_the_first_of_each_kind(items: list[tuple[str, str, int]],
                                                       limit: int) -> None:
    """Kept without sorting them all: the same first ``limit`` of each kind a
    full sort gives, and a summary that counts the rest from the first left out."""
    problems = [StructuralProblem(kind, (name, i), {}, "") for kind, name, i in items]
    kept = _FirstOfEachKind(limit)
    for problem in problems:
        kept.add(problem)
    got = sorted(kept.problems(), key=_order)
    summaries = {s.params["kind"]: s for s in kept.summaries()}
    want: list[StructuralProblem] = []
    for kind in ("required", "type"):
        of_kind = sorted((p for p in problems if p.keyword == kind), key=_order)
        want += of_kind[:limit]
        if len(of_kind) > limit:
            assert summaries[kind].params["more"] == f"{len(of_kind) - limit:,}"
            assert summaries[kind].path == of_kind[limit].path
        else:
            assert kind not in summaries
    assert [_order(p) for p in got] == [_order(p) for p in sorted(want, key=_order)]


@pytest.mark.parametrize("case, limit", [
    ("json-members-100k", 10),
    ("xml-attributes-100k", 10),
])
def test_the_worst_cases_finish_within_bounds(checker: Checker, case: str, limit: float) -> None:
    """100,000 unexpected members, or attributes on one element: neither
    finished in ten minutes (XML: lxml looks each attribute's value up by
    name)."""
    _, build = hostile_cases.CASES[case]
    seconds, report = timed(checker, build(), "f" + hostile_cases.suffix(case))
    assert seconds < limit, seconds
    assert report.status == "checked"
    assert len(report.findings) <= 2 * MAX_PER_KIND


def test_millions_of_empty_elements_are_refused_while_parsing() -> None:
    """Four million empty elements in a text field (16 MB, under the byte
    limit) were mapped, then read as the field's text and graded A, at about
    a gigabyte for every four million elements. They are counted while
    parsing and refused at the values limit, before the tree is whole; the
    peak memory of the process stays small."""
    run = python("""
        import resource, sys, time
        sys.path.insert(0, "bench")
        import hostile_cases as h
        from esgcheck.checker import Checker
        checker = Checker()
        data = h.xml_empty_elements(4_000_000)()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.monotonic()
        report = checker.check_bytes(data, "f.xml")
        print(report.status, report.error.code if report.error else None,
              round(time.monotonic() - start, 2),
              resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
    """, timeout=120)
    status, code, seconds, grown_kb = run.stdout.split()
    assert (status, code) == ("not_assessed", "limit.values"), run.stderr
    assert float(seconds) < 30
    assert int(grown_kb) < 800_000  # about 600 MB of the 2,000,000 elements allowed, at most


@pytest.mark.parametrize("build", [hostile_cases.xml_attributes(2000),
                                   hostile_cases.xml_empty_elements(2000)])
def test_elements_and_attributes_count_as_values(checker: Checker, build: Any) -> None:
    """Every element and attribute counts, wherever it stands: elements inside
    a text field were dropped by the mapping and never counted."""
    options = Options(limits=Limits(max_values=1000))
    report = checker.check_bytes(build(), "f.xml", options)
    assert report.status == "not_assessed" and report.error is not None
    assert report.error.code == "limit.values"
    assert checker.check_bytes(ANNUAL_XML.read_bytes(), "f.xml", options).status == "checked"


def test_elements_in_a_text_field_are_a_wrong_type_not_dropped(checker: Checker) -> None:
    data = hostile_cases.xml_empty_elements(3)()
    report = checker.check_bytes(data, "f.xml")
    assert report.grade != "A"
    assert any(f.rule_id == "SCHEMA.type" and f.location.pointer == "/cover/enterprise_name"
               for f in report.findings)


def test_seconds_covers_reading_and_validation(checker: Checker) -> None:
    options = Options(limits=Limits(max_seconds=1e-6))
    for data, name in ((hostile_cases.unexpected_members(1000)(), "f.json"),
                       (hostile_cases.xml_attributes(1000)(), "f.xml")):
        report = checker.check_bytes(data, name, options)
        assert report.status == "not_assessed" and report.error is not None, name
        assert report.error.code == "limit.seconds"
        assert "reading, validating" in report.error.message.en


def test_the_rules_get_what_reading_left_and_the_limit_is_named_as_given(
        checker: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    given: list[float] = []

    def overrun(self: Evaluation) -> None:
        given.append(self.max_seconds or 0.0)
        raise EvaluationLimitError("seconds", self.max_seconds)

    monkeypatch.setattr(Evaluation, "in_time", overrun)
    report = checker.check_file(ANNUAL_JSON, "f.json", Options(limits=Limits(max_seconds=30)))
    assert report.status == "not_assessed" and report.error is not None
    assert report.error.code == "limit.seconds"
    assert "reading, validating and evaluating" in report.error.message.en
    assert "limit of 30 s" in report.error.message.en and "上限 30 秒" in report.error.message.zh
    assert given and 0 < given[0] < 30


@settings(max_examples=20, deadline=None)
@given(depth=st.one_of(st.sampled_from([63, 64, 253, 254, 255, 256, 999, 1000, 1001]),
                       st.integers(1, 1500)),
       raised=st.booleans())
def test_deep_json_is_a_limit_never_a_crash(checker: Checker, depth: int,
                                            raised: bool) -> None:
    """Nested 256 to 1,000 deep, orjson could read the filing but not write it
    back, and its TypeError escaped the reader; past 255 levels the validator
    gives up. Whatever the depth, and with the depth limit raised past both,
    the filing is checked or not assessed with the limit named."""
    options = Options(limits=Limits(max_depth=5000)) if raised else Options()
    report = checker.check_bytes(hostile_cases.deep_json(depth)(), "f.json", options)
    if report.status == "checked":
        assert depth + 1 <= (255 if raised else 64)
    else:
        assert report.status == "not_assessed" and report.error is not None
        assert report.error.code in ("limit.depth", "limit.parser_depth"), report.error


# ---------------------------------------------------------------- 5. YAML aliases

BOMB = hostile_cases.yaml_aliases()


def test_the_alias_bomb_is_small() -> None:
    assert len(BOMB) <= 500


@pytest.mark.parametrize("option, name", [("--waivers", "waivers.yaml"),
                                          ("--rules-config", "config.yaml")])
def test_an_alias_bomb_is_refused_by_the_command_line(tmp_path: Path, option: str,
                                                      name: str) -> None:
    (tmp_path / name).write_bytes(BOMB)
    run = esgcheck("check", option, name, str(ANNUAL_JSON), cwd=tmp_path, timeout=60)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert f"{name}:" in run.stdout + run.stderr and "Traceback" not in run.stderr


def test_an_alias_bomb_in_a_rule_base_is_a_load_error(demo_copy: Path) -> None:
    (demo_copy / "data" / "bomb.yaml").write_bytes(BOMB)
    run = esgcheck("check", "--rules", str(demo_copy.parent), str(ANNUAL_JSON), timeout=60)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "bomb.yaml:" in run.stdout + run.stderr and "Traceback" not in run.stderr


@FAST
@given(levels=st.integers(1, 12), width=st.integers(1, 12))
def test_aliases_load_within_the_budget_or_are_refused_with_a_line(levels: int,
                                                                   width: int) -> None:
    """Loaded when the document the aliases spell out is within the budget,
    else refused at a line of the file, and either way at once."""
    text = hostile_cases.yaml_aliases(levels, width).decode()
    # a0 is a list holding one string; each next level a list of `width` aliases
    sizes = [2]
    for _ in range(levels):
        sizes.append(1 + width * sizes[-1])
    spelled = 1 + sum(1 + size for size in sizes)  # the mapping, its keys and values
    written = 1 + 2 * (levels + 1) + 1  # the mapping, keys and lists, and "x"
    within = spelled <= yamlio.ALIAS_FACTOR * written + yamlio.ALIAS_ALLOWANCE
    start = time.monotonic()
    try:
        located = yamlio.loads(text, "a.yaml")
        assert within and len(located.data) == levels + 1
    except yamlio.YamlError as exc:
        assert not within
        assert exc.line is not None and 1 <= exc.line <= levels + 1
    assert time.monotonic() - start < 1


def test_aliases_refused_where_a_format_has_no_use_for_them() -> None:
    with pytest.raises(yamlio.YamlError) as refused:
        yamlio.loads("a: &x 1\nb: *x\n", "w.yaml", aliases=False)
    assert refused.value.line == 1
    assert yamlio.loads("a: &x 1\nb: *x\n", "w.yaml").data == {"a": 1, "b": 1}


def test_a_self_referring_alias_and_deep_nesting_are_refused() -> None:
    for text in ("a: &x [*x]\n", "a: " + "[" * 600 + "]" * 600 + "\n"):
        with pytest.raises(yamlio.YamlError):
            yamlio.loads(text, "a.yaml")


def test_a_yaml_file_that_is_a_fifo_is_not_waited_on(fifo: WatchedFifo) -> None:
    with pytest.raises(yamlio.YamlError) as refused:
        yamlio.load(fifo.path)
    assert "not a regular file" in refused.value.message
    assert fifo.opened == 0


# ---------------------------------------------------------------- 6. XML namespaces

def xml_with(old: str, new: str) -> bytes:
    text = ANNUAL_XML.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


def test_xsi_attributes_on_the_root_are_ignored(checker: Checker) -> None:
    plain = checker.check_file(ANNUAL_XML, "f.xml")
    data = xml_with(f'xmlns="{NS}"', f'xmlns="{NS}" '
                    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                    f'xsi:schemaLocation="{NS} schema.xsd" xsi:type="AnnualReport" '
                    'xml:lang="zh"')
    report = checker.check_bytes(data, "f.xml")
    assert report.grade == plain.grade == "A"
    assert [f.rule_id for f in report.findings] == [f.rule_id for f in plain.findings]


@pytest.mark.parametrize("element", [
    '<uscc xmlns="urn:evil">91110000600037341L</uscc>',
    '<e:uscc xmlns:e="urn:evil">91110000600037341L</e:uscc>',
    '<uscc xmlns="">91110000600037341L</uscc>',
])
def test_an_element_in_another_namespace_is_not_the_filings(checker: Checker,
                                                            element: str) -> None:
    """A foreign element standing in for the cover's USCC supplies nothing:
    the cover has no USCC, which the rules report, and the foreign element is
    an unexpected field named with its namespace."""
    data = xml_with("<uscc>91110000600037341L</uscc>", element)
    namespace = "urn:evil" if "evil" in element else ""
    cover = read_bytes(data, "f.xml", default_registry()).doc["cover"]
    assert "uscc" not in cover and f"{{{namespace}}}uscc" in cover
    report = checker.check_bytes(data, "f.xml")
    assert report.grade != "A"
    assert any(f.location.pointer == "/cover/uscc" and f.outcome != "waived"
               for f in report.findings)
    (unexpected,) = [f for f in report.findings if f.rule_id == "SCHEMA.additionalProperties"]
    assert f"{{{namespace}}}uscc" in unexpected.message.en


def test_a_foreign_attribute_does_not_supply_a_field(checker: Checker) -> None:
    data = xml_with("<uscc>91110000600037341L</uscc>", "")
    data = data.replace(b"<cover>", b'<cover xmlns:e="urn:evil" e:uscc="91110000600037341L">',
                        1)
    cover = read_bytes(data, "f.xml", default_registry()).doc["cover"]
    assert "uscc" not in cover and cover["{urn:evil}uscc"] == "91110000600037341L"
    report = checker.check_bytes(data, "f.xml")
    assert any(f.location.pointer == "/cover/uscc" for f in report.findings)
    assert any(f.rule_id == "SCHEMA.additionalProperties" and "{urn:evil}uscc" in f.message.en
               for f in report.findings)


def test_an_attribute_and_an_element_of_one_name_are_both_kept(checker: Checker) -> None:
    data = xml_with("<cover>", '<cover uscc="91110000600037341X">')
    report = checker.check_bytes(data, "f.xml")
    assert any(f.rule_id == "SCHEMA.type" and f.location.pointer == "/cover/uscc"
               for f in report.findings)
