"""Run one conversion and kill this process (SIGKILL) at its N-th moment: a rename, an fsync, a file or folder
made or removed, a progress step. ``python convert_child.py DATA OPERATION N`` with OPERATION one of encrypt,
passphrase, decrypt; N = 0 never kills and prints the list of moments there were."""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import sys
from pathlib import Path

from secondopinion_desktop.core.crypto.convert import change_passphrase, decrypt_folder, encrypt_folder
from secondopinion_desktop.core.crypto.keys import MIN_MEMORY_KIB, KdfParams
from secondopinion_desktop.core.crypto.seal import unlock_folder
from secondopinion_desktop.core.lock import folder_lock

FAST = KdfParams(time_cost=1, memory_kib=MIN_MEMORY_KIB, parallelism=1)
PASS, NEW_PASS, RECOVERY_FILE = "correct horse battery staple", "a different passphrase", "recovery.txt"

moments: list[str] = []
kill_at = 0


def moment(what: str) -> None:
    moments.append(what)
    if len(moments) == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)


def counted(fn, name: str):  # type: ignore[no-untyped-def]
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        moment(f"before {name}")
        result = fn(*args, **kwargs)
        moment(f"after {name}")
        return result
    return wrapper


def main() -> None:
    global kill_at
    data, operation, kill_at = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    recovery = (data.parent / RECOVERY_FILE).read_text().strip()
    with folder_lock(data, operation) as lock:
        key = None if operation == "encrypt" else unlock_folder(data, passphrase=PASS)
        for name in ("rename", "replace", "fsync", "mkdir", "unlink", "rmdir"):
            setattr(os, name, counted(getattr(os, name), name))
        shutil.rmtree = counted(shutil.rmtree, "rmtree")
        if operation == "encrypt":
            encrypt_folder(data, PASS, recovery, lock=lock, params=FAST, progress=lambda d, t: moment("progress"))
        elif operation == "passphrase":
            assert key is not None
            change_passphrase(data, key, NEW_PASS, params=FAST)
        else:
            assert key is not None
            decrypt_folder(data, key, lock=lock, progress=lambda d, t: moment("progress"))
    print(json.dumps(moments))


if __name__ == "__main__":
    main()
