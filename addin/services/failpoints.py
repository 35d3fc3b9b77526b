"""Named points in the code where a crash can be injected, for the crash suite.

A failpoint does nothing unless ``ADDIN_FAILPOINTS`` names it when the process starts:
``ADDIN_FAILPOINTS="create.after_salesforce=kill,edit.after_calendar=raise"``. ``kill``
ends the process with SIGKILL on the spot (as a power cut or the OOM killer would: no
``finally``, no rollback, no flush); ``raise`` raises :class:`InjectedFault`. The crash
suite starts real ``addin serve`` processes with one failpoint armed and checks that what
the restarted product does afterwards leaves exactly one of everything.

The same technique as the fail points of TiKV (fail-rs) or FoundationDB's buggify, kept
to a dictionary lookup when nothing is armed.
"""

from __future__ import annotations

import os
import signal

ARMED: dict[str, str] = {}


class InjectedFault(RuntimeError):
    """Raised at a failpoint armed with ``raise``."""


def arm(spec: str) -> None:
    """Arm failpoints from a ``name=action,...`` spec (replaces what was armed)."""
    ARMED.clear()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, action = part.partition("=")
        if action not in ("kill", "raise"):
            raise ValueError(f"failpoint {name!r}: action must be kill or raise, not {action!r}")
        ARMED[name.strip()] = action


def failpoint(name: str) -> None:
    action = ARMED.get(name)
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action == "raise":
        raise InjectedFault(f"failpoint {name}")


arm(os.environ.get("ADDIN_FAILPOINTS", ""))
