"""The frozen program, as a site gets it: built once per session by installer/build.sh into a
temporary folder (reused while its inputs hash is unchanged), then run as a station would run it:
--help, a fresh database, an operator, a link to the simulator, a meter, a sale with a PDF receipt,
a polling pass, every page rendered, the login window. Nothing here imports the station into the
frozen program's place: a module or data file missing from the bundle fails these tests.

METERSTATION_FROZEN_DIR=/path/to/dist/meterstation tests a build made elsewhere instead.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "installer"))
import bundle_check  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
CACHE = Path(tempfile.gettempdir()) / f"meterstation-frozen-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]}"


@pytest.fixture(scope="session")
def bundle() -> Path:
    given = os.environ.get("METERSTATION_FROZEN_DIR")
    if given:
        return Path(given)
    env = dict(os.environ, DIST_DIR=str(CACHE / "dist"), WORK_DIR=str(CACHE / "work"),
               PYTHON=sys.executable)
    start = time.monotonic()
    r = subprocess.run(["bash", str(ROOT / "installer" / "build.sh")], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=1700)
    tail = "\n".join((r.stdout + r.stderr).splitlines()[-30:])
    assert r.returncode == 0, f"installer/build.sh failed:\n{tail}"
    print(f"\nfrozen build ready in {time.monotonic() - start:.1f} s: {tail.splitlines()[-1]}")
    return CACHE / "dist" / "meterstation"


@pytest.fixture
def frozen(bundle, tmp_path):
    """Run the frozen program with a private home, config, data and receipt folder."""
    exe = bundle_check.executable(bundle)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("METERSTATION_", "XDG_", "PYTHON"))}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
               XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
               METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), METERSTATION_RECEIPT_DIR=str(tmp_path / "receipts"),
               QT_QPA_PLATFORM="offscreen", METERSTATION_OPERATOR="root", METERSTATION_PASSWORD="secret-12")
    url = f"sqlite:///{tmp_path / 'site' / 'station.db'}"
    (tmp_path / "site").mkdir()

    def run(*args, lang="en", db=True, timeout=300, **kw):
        cmd = [str(exe), "--lang", lang, *(["--db", url] if db else []), *args]
        return subprocess.run(cmd, env={**env, **kw.pop("env", {})}, cwd=tmp_path, capture_output=True,
                              text=True, timeout=timeout, **kw)

    run.exe, run.env, run.url = exe, env, url
    return run


def test_bundle_has_every_module_and_data_file(bundle):
    assert bundle_check.missing(bundle) == []


def test_bundle_check_notices_what_is_missing(bundle, tmp_path):
    """A data file deleted from the bundle, a module added to the sources after the build."""
    copy = tmp_path / "bundle"
    subprocess.run(["cp", "-al", str(bundle), str(copy)], check=True)      # hard links: cheap
    (copy / "_internal" / "resources" / "i18n" / "zh_CN" / "foundation.json").unlink()
    (copy / "_internal" / "models" / "migrations" / "versions" / "0001_foundation.py").unlink()
    assert bundle_check.missing(copy) == ["data file models/migrations/versions/0001_foundation.py",
                                          "data file resources/i18n/zh_CN/foundation.json"]
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "dist", "build", "tests"))
    (src / "ui" / "cli" / "cmd_added_later.py").write_text("def register(sub):\n    pass\n", encoding="utf-8")
    assert bundle_check.missing(bundle, src) == ["module ui.cli.cmd_added_later"]
    # and the program without its migrations cannot create a database
    env = dict(os.environ, METERSTATION_CONFIG_DIR=str(tmp_path / "cfg"), QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([str(copy / "meterstation"), "--lang", "en", "--db", f"sqlite:///{tmp_path / 'x.db'}",
                        "db", "upgrade"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1


def _commands(help_text: str) -> set[str]:
    lines = help_text.split("COMMAND ...", 1)[1].split("positional arguments:", 1)[1].split("options:", 1)[0]
    return {line.split()[0] for line in lines.splitlines()
            if line.startswith("    ") and not line.startswith("     ") and line.split()}


def test_help_lists_every_command(frozen):
    import argparse

    from ui.cli import build_parser

    expected = set(next(a for a in build_parser()._actions                          # the sources' commands
                        if isinstance(a, argparse._SubParsersAction)).choices)
    r = frozen("--help", db=False)
    assert r.returncode == 0, r.stderr
    assert _commands(r.stdout) == expected
    assert "service" in expected and "sell" in expected
    zh = frozen("--help", lang="zh_CN", db=False)
    assert zh.returncode == 0 and "数据库" in zh.stdout          # the catalogs are in the bundle


def test_a_day_at_the_counter(frozen, tmp_path):
    """Fresh database, operator, link to the simulator, meter, sale with receipt, polling pass."""
    r = frozen("db", "upgrade")
    assert r.returncode == 0, r.stderr
    r = frozen("operator", "add", "root", "--role", "super-admin", input="secret-12\n",
               env={"METERSTATION_OPERATOR": "", "METERSTATION_PASSWORD": ""})
    assert r.returncode == 0, r.stderr
    # outside test mode the simulator needs an administrator (root, from the environment) on the station
    sim = subprocess.Popen([str(frozen.exe), "--db", frozen.url, "simulate", "--listen", "127.0.0.1:0",
                            "--meters", "dlt645-2007:000000000001-000000000002"],
                           env=frozen.env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sim_url = sim.stdout.readline().strip()
        assert sim_url.startswith("tcp://127.0.0.1:"), sim.stderr.read() if sim.poll() is not None else sim_url
        steps = [("link", "add", "bus", sim_url),
                 ("meter", "add", "M1", "--link", "bus", "--protocol", "dlt645-2007", "--address", "000000000001"),
                 ("meter", "add", "M2", "--link", "bus", "--protocol", "dlt645-2007", "--address", "000000000002"),
                 ("customer", "add", "张三"),
                 ("tariff", "add", "民用", "--flat", "0.5"),
                 ("account", "open", "--customer", "张三", "--meter", "M1", "--tariff", "民用"),
                 ("shift", "open")]
        for step in steps:
            r = frozen(*step)
            assert r.returncode == 0, (step, r.stderr)
        pdf = tmp_path / "receipt.pdf"
        r = frozen("sell", "000001", "123.45", "--method", "cash", "--receipt", str(pdf), "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["balance"] == "123.45"
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert "壹佰贰拾叁元肆角伍分" in text.replace(" ", ""), text      # the amount in capitals, CJK font embedded
        r = frozen("service", "identity")                    # poll acts as the service identity
        assert r.returncode == 0, r.stderr
        secret = Path(frozen.env["METERSTATION_CONFIG_DIR"]) / "service.secret"
        r = frozen("--operator", "service", "poll", "--once", "--json", "--password-file", str(secret),
                   env={"METERSTATION_PASSWORD": ""})
        assert r.returncode == 0, r.stderr
        polled = json.loads(r.stdout)
        assert (polled["meters"], polled["ok"], polled["failed"]) == (2, 2, 0)
        r = frozen("service", "install", "--print")
        expected = f"ExecStart={frozen.exe} --db {frozen.url} --operator service poll --password-file "
        assert r.returncode == 0 and expected in r.stdout, r.stderr
    finally:
        sim.terminate()
        sim.communicate(timeout=30)
    assert sim.returncode == 0


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", data[16:24])


def test_screenshot_renders_every_page(frozen, tmp_path):
    pages = sorted(p.stem for p in (ROOT / "ui" / "pages").glob("*_page.py"))
    r = frozen("screenshot", str(tmp_path / "shots"), "--demo", db=False, timeout=600)
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "shots").glob("*.png"))
    assert [f.name for f in files][0] == "00-login.png"
    assert len(files) == 2 + len(pages), (files, pages)       # the login, every page, the board's floor plan
    assert "03-meters-plan.png" in [f.name for f in files]
    for f in files[1:]:
        w, h = _png_size(f)
        assert w >= 1000 and h >= 600 and f.stat().st_size > 20_000, f     # a page with content, not blank


def test_cold_start_to_the_login_window(frozen):
    assert frozen("db", "upgrade").returncode == 0
    assert frozen("operator", "add", "root", "--role", "super-admin", input="secret-12\n",
                  env={"METERSTATION_OPERATOR": "", "METERSTATION_PASSWORD": ""}).returncode == 0
    start = time.monotonic()
    r = frozen(db=True, lang="zh_CN", env={"METERSTATION_STARTUP_PROBE": "1"})
    seconds = time.monotonic() - start
    assert "startup-probe: LoginDialog shown; Qt: 取消" in r.stdout, r.stdout + r.stderr    # Qt's .qm found too
    print(f"\ncold start of the frozen program to the login window: {seconds:.2f} s")
    assert seconds < 30


def test_the_window_runtime_child_runs_frozen(frozen, tmp_path):
    """The window starts its runtime as `meterstation --runtime-child` (ui/runtime_process.py):
    the frozen program must run it from the bundle, with its start parameters on stdin."""
    from tests.ui.runtime.test_runtime_process import drive_child

    assert frozen("db", "upgrade").returncode == 0
    params = {"url": frozen.url, "station": "T", "run_jobs": False, "options": {}, "lang": "en"}
    frames, code, err = drive_child([str(frozen.exe), "--runtime-child"], frozen.env, params, tmp_path)
    assert code == 0, err.decode()[-2000:]
    kinds = [f[0] for f in frames]
    assert kinds[0] == "started" and kinds[-1] == "stopped", (kinds, err.decode()[-2000:])
