"""`ringsense-mcp sync` and `ringsense-mcp library status|forget`, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, data_dir: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("RC_", "RINGCENTRAL_", "RINGSENSE_"))}
    return subprocess.run(  # noqa: S603 - our own interpreter running our own package
        [sys.executable, "-m", "server", *args],
        cwd=ROOT,
        env={**environ, "RINGSENSE_DATA_DIR": str(data_dir), **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sync_then_status_then_forget(tmp_path: Path) -> None:
    synced = _run("sync", "--sandbox", data_dir=tmp_path)
    assert synced.returncode == 0, synced.stderr
    assert "indexed                     13" in synced.stdout
    assert "pending analysis            1" in synced.stdout
    assert "\r" not in synced.stderr and "%|" not in synced.stderr, "no progress bar when not on a terminal"
    library = tmp_path / "library-sandbox.sqlite3"
    assert library.exists() and not (tmp_path / "library.sqlite3").exists()

    status = _run("library", "status", "--sandbox", data_dir=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Calls indexed:  13" in status.stdout and "library forget" in status.stdout

    refused = _run("library", "forget", "--sandbox", data_dir=tmp_path)
    assert refused.returncode == 2 and "--yes" in refused.stderr and library.exists()

    forgotten = _run("library", "forget", "--sandbox", "--yes", data_dir=tmp_path)
    assert forgotten.returncode == 0 and not library.exists()
    assert not list(tmp_path.glob("library-sandbox.sqlite3*"))


@pytest.fixture
def environ(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """In-process runs of the CLI with a clean environment and the library under tmp_path."""
    for name in list(os.environ):
        if name.startswith(("RC_", "RINGCENTRAL_", "RINGSENSE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RINGSENSE_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize(
    ("args", "advice"),
    [
        (("--since", "2026-13-01"), "is not a date; use YYYY-MM-DD"),
        (("--since", "2026-11-20", "--until", "2026-11-10"), "--since must be before --until"),
        (("--since", "2020-01-01"), "longer than 400 days"),
        (("--since", "2999-01-01"), "--since is in the future"),
    ],
)
def test_sync_refuses_bad_dates_with_what_to_do(
    environ: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], advice: str
) -> None:
    assert main(["sync", "--sandbox", *args]) == 2
    assert advice in capsys.readouterr().err
    assert not list(environ.iterdir()), "nothing was created"


def test_sync_says_the_library_is_off_when_it_is(
    environ: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RINGSENSE_LIBRARY", "off")
    assert main(["sync", "--sandbox"]) == 2
    assert "RINGSENSE_LIBRARY=off" in capsys.readouterr().err
    assert not list(environ.iterdir())


def test_status_before_any_sync_says_how_to_build_one(environ: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["library", "status"]) == 0
    assert "ringsense-mcp sync" in capsys.readouterr().out
    assert not list(environ.iterdir()), "status does not create a library"


def test_sync_with_rejected_credentials_fails_cleanly_without_leaking_them(tmp_path: Path) -> None:
    secret = "canary-secret-for-sync-0042"
    jwt = "canary-jwt-for-sync-0042"
    result = _run(
        "sync",
        data_dir=tmp_path,
        RC_SERVER_URL="http://127.0.0.1:9",  # nothing listens on the discard port
        RC_APP_CLIENT_ID="client",
        RC_APP_CLIENT_SECRET=secret,
        RC_USER_JWT=jwt,
    )
    assert result.returncode == 1, result.stderr
    assert "ringsense-mcp sync:" in result.stderr
    assert secret not in result.stderr + result.stdout and jwt not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
