"""A sandbox that survives its own restart: its state folder holds a snapshot of everything
the emulators keep (``SandboxState.durable``), written before any answer leaves.

How it stays consistent and loses nothing acknowledged, even to ``kill -9``:

- Every request to any of the sandbox's servers runs under a shared lock; its answer is
  held back until the request is over. (Latency and injected delays are waited out
  without the lock: a slow request does not hold back the others.)
- Then a snapshot is taken under the exclusive lock (no request is half way, so the
  emulators' data agree with each other), compared with the last one written, and, when
  it differs, written to a temporary file, fsynced, renamed over the previous snapshot and
  the folder fsynced. Only then does the answer go out.
- So a request that was answered is on disk; a request cut off by a crash was never
  answered (as with a real service, the caller cannot tell whether it happened and must
  read back). Concurrent requests share one write when one snapshot covers them all.
- Statistics and the API usage counter (``SandboxState.counters``) change on every request;
  they are saved with the next real change (and at a clean stop), not on their own.

The snapshot is a pickle of the holders' data (locks are recreated, the shared state and
the webhook senders are re-attached by name, signing keys are kept as JWKs). It is a
trusted local file: only point --state-dir at a folder you own.
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
STATE_FILE = "sandbox-state.pickle"
# Attributes that are wiring, not data: kept from the running objects on a restore.
WIRING = frozenset({"state", "_state", "sender", "changes", "base_url", "_setting", "people", "ids",
                    "lock", "_lock"})
_LOCK = type(threading.Lock())
_RLOCK = type(threading.RLock())

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StateFileError(RuntimeError):
    """The state folder holds a snapshot this version cannot read."""


class ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0
        self._local = threading.local()

    @contextmanager
    def reading(self) -> Iterator[None]:
        self._acquire_read()
        self._local.reading = True
        try:
            yield
        finally:
            self._local.reading = False
            self._release_read()

    def _acquire_read(self) -> None:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1

    def _release_read(self) -> None:
        with self._cond:
            self._readers -= 1
            if not self._readers:
                self._cond.notify_all()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Without the lock for a while: a request that waits (sleeps, calls out) before it
        changes anything must not hold back the others' snapshots."""
        if not getattr(self._local, "reading", False):
            yield
            return
        self._release_read()
        try:
            yield
        finally:
            self._acquire_read()

    def sleep(self, seconds: float) -> None:
        with self.released():
            time.sleep(seconds)

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, externals: dict[int, str]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._externals = externals

    def persistent_id(self, obj: Any) -> str | None:
        return self._externals.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _LOCK):
            return threading.Lock, ()
        if isinstance(obj, _RLOCK):
            return threading.RLock, ()
        if isinstance(obj, itertools.count):
            return itertools.count, (int(repr(obj)[len("count("):-1]),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, externals: dict[str, Any]):
        super().__init__(file)
        self._externals = externals

    def persistent_load(self, pid: Any) -> Any:
        try:
            return self._externals[pid]
        except KeyError:
            raise pickle.UnpicklingError(f"unknown external object {pid!r}") from None


def _data_of(holder: Any) -> Any:
    if isinstance(holder, dict):
        return dict(holder)
    if hasattr(holder, "durable_state"):
        return holder.durable_state()
    return {k: v for k, v in vars(holder).items() if k not in WIRING}


def _restore(holder: Any, saved: Any) -> None:
    """In place: the emulators' views hold references to the holders themselves."""
    if isinstance(holder, dict):
        holder.clear()
        holder.update(saved)
    elif hasattr(holder, "restore_durable"):
        holder.restore_durable(saved)
    else:
        vars(holder).update({k: v for k, v in saved.items() if k not in WIRING})


def read_meta(state_dir: Path) -> dict[str, Any] | None:
    """What a snapshot says about the world it belongs to (its id, its origins), or None."""
    path = Path(state_dir) / STATE_FILE
    if not path.exists():
        return None
    envelope = _read_envelope(path)
    return dict(envelope["meta"])


def _read_envelope(path: Path) -> dict[str, Any]:
    try:
        envelope = pickle.loads(path.read_bytes())
    except Exception as exc:
        raise StateFileError(f"{path} is not a sandbox snapshot ({exc})") from exc
    found = envelope.get("format") if isinstance(envelope, dict) else None
    if found != FORMAT:
        raise StateFileError(f"{path} was written by another version of the sandbox "
                             f"(format {found}, this one reads {FORMAT}); use another "
                             "--state-dir")
    return envelope


class Durability:
    """The state folder of one sandbox, and the WSGI wrapper that writes it."""

    def __init__(self, state_dir: Path, holders: dict[str, Any], counters: set[str],
                 externals: dict[str, Any], meta: Callable[[], dict[str, Any]]):
        self.path = Path(state_dir) / STATE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._holders = holders
        self._counters = counters
        self._externals = externals
        self._meta = meta
        self._rw = ReadWriteLock()
        self.sleep = self._rw.sleep  # for SandboxState.sleep and .waiting
        self.waiting = self._rw.released
        self._commit_lock = threading.Lock()
        self._last: bytes | None = None
        self.writes = 0

    # -- loading --------------------------------------------------------------------
    def load(self) -> bool:
        """Restore every holder from the snapshot; False when there is none yet."""
        if not self.path.exists():
            return False
        envelope = _read_envelope(self.path)
        saved: dict[str, Any] = {}
        for part in ("data", "counters"):
            unpickler = _Unpickler(io.BytesIO(envelope[part]), self._externals)
            try:
                saved.update(unpickler.load())
            except Exception as exc:
                raise StateFileError(f"{self.path} cannot be read by this version of the "
                                     f"sandbox ({exc}); use another --state-dir") from exc
        for name, data in saved.items():
            holder = self._holders.get(name)
            if holder is None:
                log.warning("the snapshot holds %s, which this sandbox does not keep", name)
                continue
            _restore(holder, data)
        self._last = envelope["data"]
        return True

    # -- writing --------------------------------------------------------------------
    def _dump(self, names: Iterable[str]) -> bytes:
        buffer = io.BytesIO()
        pickler = _Pickler(buffer, {id(obj): name for name, obj in self._externals.items()})
        pickler.dump({name: _data_of(self._holders[name]) for name in names})
        return buffer.getvalue()

    def commit(self, *, force: bool = False) -> bool:
        """Write a snapshot if anything but the counters changed since the last one."""
        with self._commit_lock:
            with self._rw.writing():
                data = self._dump(n for n in self._holders if n not in self._counters)
                if data == self._last and not force:
                    return False
                counters = self._dump(n for n in self._holders if n in self._counters)
                meta = self._meta()
            envelope = pickle.dumps({"format": FORMAT, "meta": meta, "data": data,
                                     "counters": counters}, protocol=pickle.HIGHEST_PROTOCOL)
            self._write(envelope)
            self._last = data
            self.writes += 1
            return True

    def _write(self, payload: bytes) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        # tokens and signing keys: readable by its owner only
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    # -- serving --------------------------------------------------------------------
    def wrap(self, app: WSGIApp) -> WSGIApp:
        """The app, answering only once what it did is on disk."""

        def durable_app(environ: dict[str, Any], start_response: Callable[..., Any]
                        ) -> Iterable[bytes]:
            answer: dict[str, Any] = {}
            chunks: list[bytes] = []

            def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                     ) -> Callable[[bytes], None]:
                answer.update(status=status, headers=headers)
                return chunks.append

            with self._rw.reading():
                result = app(environ, hold)
                try:
                    chunks.extend(result)
                finally:
                    close = getattr(result, "close", None)
                    if close is not None:
                        close()
            try:
                self.commit()
            except Exception:  # a full disk, or something in the state pickle cannot carry
                log.exception("the sandbox could not save its state")
                start_response("503 Service Unavailable",
                               [("Content-Type", "text/plain"), ("Retry-After", "1")])
                return [b"the sandbox could not save its state; the change may be lost"]
            start_response(answer["status"], answer["headers"])
            return chunks

        return durable_app
