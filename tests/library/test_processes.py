"""Several real processes on one library file: no corruption, no "database is locked", nothing lost in a crash."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def _spawn(role: str, path: Path, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter running our own module
        [sys.executable, "-m", "tests.library.worker", role, str(path), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _integrity(path: Path) -> None:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("INSERT INTO call_text (call_text) VALUES ('integrity-check')")  # raises if the index is corrupt
    finally:
        db.close()


def test_two_writers_a_reader_and_a_sync_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite3"
    workers = [
        _spawn("writer", path, 40),
        _spawn("batch-writer", path, 150),  # five transactions: four of 32 calls and one of 22
        _spawn("reader", path, 60),
        _spawn("sync", path, 0),
    ]
    path.with_name(path.name + ".go").touch()
    outputs = [worker.communicate(timeout=TIMEOUT) for worker in workers]
    for worker, (_out, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err[-2000:]
        assert "locked" not in err.lower() and "busy" not in err.lower(), err[-2000:]
    assert "sync" in outputs[3][0] and "stopped early" not in outputs[3][0]
    _integrity(path)
    db = sqlite3.connect(path)
    calls = db.execute("SELECT count(*) FROM calls").fetchone()[0]
    db.close()
    synced = int(outputs[3][0].split("sync ")[1].split(" indexed")[0])
    assert calls == 40 + 150 + synced


@pytest.mark.parametrize("role", ["writer", "batch-writer"])
def test_a_process_killed_mid_ingest_loses_nothing_it_had_committed(tmp_path: Path, role: str) -> None:
    path = tmp_path / "library.sqlite3"
    worker = _spawn(role, path, 10_000)
    path.with_name(path.name + ".go").touch()
    committed = 0
    assert worker.stdout is not None
    for line in worker.stdout:  # bounded: the worker writes a line per commit, and we stop at 25 calls
        committed = int(line.split()[1])
        if committed >= 25:
            break
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=TIMEOUT)
    _integrity(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM calls").fetchone()[0] >= committed
    db.close()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.anyio
async def test_the_library_files_are_private_to_the_user(tmp_path: Path, suffix: str) -> None:
    from server.library.sqlite import open_store

    path = tmp_path / "data" / "library.sqlite3"
    store = await open_store(path)  # holds the file open, so -wal and -shm exist
    try:
        await store.set_checkpoint("probe", "1")
        mode = path.with_name(path.name + suffix).stat().st_mode & 0o777
    finally:
        await store.aclose()
    assert mode == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
