"""Content-addressed file store for attachments.

A file lives at ``vault/<first two hex digits>/<sha256>``. It is streamed in chunks (memory stays flat for
multi-gigabyte files) into a temporary file in the vault, fsynced, then renamed to its final name and the folder
fsynced, so a crash never leaves a half-written file under a real name. The same content is stored once.

**Claims.** An operation that puts files into the vault names them first and commits the rows that refer to them
afterwards; in between, the files look unused. Another operation of the same process (the window runs imports and
attachments off its main thread) may meanwhile decide to delete the same content: an import's cancel, an undo, a
purge, a repair, the start-up sweep. So every operation that writes files holds a *claim* on their digests (see
``Vault.claim``) from the moment a copy's digest is known — before it gets its real name — until its rows are
committed or it has been rolled back; and every removal goes through ``Vault.remove_unclaimed``, which decides and
deletes under the same lock that claims take. The claims are per process; across processes, writers are kept apart
by the data folder's lock (and a freshly stored file by the age guard of ``check``).

**Sealed vaults.** In an encrypted folder (``Vault(root, key)``) every file is sealed with ``crypto.stream``
(AES-256-GCM in 1 MiB chunks) and stored under its *name*, HMAC-SHA256 of its plain SHA-256 under the folder's
names key (``FolderKey.name_of``): the same content is still stored once and the names reveal no plain hash. The
rest of the app still speaks of plain SHA-256 digests; ``open`` decrypts (seekable, chunk by chunk), ``verify``
and ``open_verified`` check the decrypted content against its digest, and ``stored`` lists the names on disk.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from secondopinion_desktop.core.errors import VaultError
from secondopinion_desktop.core.fsutil import fsync_folder
from secondopinion_desktop.core.progress import CancelCheck, Cancelled, Progress

if TYPE_CHECKING:
    from secondopinion_desktop.core.crypto.seal import FolderKey

CHUNK_SIZE = 1024 * 1024
TEMP_PREFIX = ".tmp-"
STALE_TEMP_SECONDS = 3600
_OWNED_TEMP = re.compile(r"^\.tmp-(?:[a-z]+-)?(\d+)-")


def owned_temp_prefix(kind: str = "") -> str:
    """Prefix of a temporary name that says which process is writing it: ``.tmp-[<kind>-]<pid>-``.

    ``check --repair`` and the sweeps leave such a file alone while that process is alive: an import in another
    process keeps its copies under temporary names until it gives them their real names.
    """
    return f"{TEMP_PREFIX}{kind + '-' if kind else ''}{os.getpid()}-"


def temp_in_use(name: str) -> bool:
    """True when ``name`` is a temporary name (see ``owned_temp_prefix``) of a process that is still running."""
    match = _OWNED_TEMP.match(name)
    if not match:
        return False
    pid = int(match.group(1))
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would interrupt the process there; leave the age check to decide
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    except OSError:
        return False
    return True


class SourceUnreadable(VaultError):
    """The file to be stored could not be read (moved, unreadable, a disc error)."""


class VaultDamaged(VaultError):
    """A stored file's content no longer matches the SHA-256 it is stored under (or it is not a regular file)."""

    def __init__(self, sha256: str, message: str) -> None:
        super().__init__(message)
        self.sha256 = sha256


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    already_present: bool


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class NotARegularFile(VaultError):
    """A name in the vault is a link, a folder or a device instead of a stored file."""


def open_regular_nofollow(path: Path) -> int:
    """Open ``path`` read-only without following a link, neither in its name nor in its parent folder's name.

    Returns the descriptor of a regular file; a link, folder, device or pipe raises ``NotARegularFile``, a missing
    file ``FileNotFoundError``. The check is made on the open descriptor (fstat), so the file cannot be swapped
    between the check and the read.
    """
    path = Path(path)
    dir_fd = None
    try:
        if _NOFOLLOW and os.open in os.supports_dir_fd:
            try:
                dir_fd = os.open(path.parent, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR) and path.parent.is_symlink():
                    raise NotARegularFile(f"{path.parent.name} in the vault is a link, not a folder.") from exc
                raise
            try:
                fd = os.open(path.name, os.O_RDONLY | _NOFOLLOW | _BINARY, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise NotARegularFile(f"{path.name[:12]}… in the vault is a link, not a stored file.") from exc
                raise
        else:  # no O_NOFOLLOW (Windows): refuse a link by lstat, then check the opened file is that one
            before = os.lstat(path)
            if stat.S_ISLNK(before.st_mode):
                raise NotARegularFile(f"{path.name[:12]}… in the vault is a link, not a stored file.")
            fd = os.open(path, os.O_RDONLY | _BINARY)
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotARegularFile(f"{path.name[:12]}… in the vault is not a regular file.")
    except BaseException:
        os.close(fd)
        raise
    return fd


def sha256_of_fd(fh) -> str:  # type: ignore[no-untyped-def]
    """SHA-256 of an open binary file from its current position to the end."""
    digest = hashlib.sha256()
    for chunk in iter(lambda: fh.read(CHUNK_SIZE), b""):
        digest.update(chunk)
    return digest.hexdigest()


def is_regular_file(path: Path) -> bool:
    """True for a regular file that is not a link (the name itself is not followed)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


class _Claims:
    """The digests claimed by operations in flight in this process, for one vault (shared by every ``Vault`` object
    of the same folder). A digest may be claimed by several operations at once: it counts."""

    def __init__(self) -> None:
        self.lock = threading.RLock()  # held by a remover from its decision to its deletion
        self.counts: Counter[str] = Counter()
        # Claimed content a remover wanted gone: the last claim to let go of it without committing rows (a
        # rollback) removes it then if nothing uses it, so a file two cancelled imports shared is not left behind.
        self.handed_over: set[str] = set()


_REGISTRIES: dict[str, _Claims] = {}
_REGISTRIES_LOCK = threading.Lock()
_ACTIVE = threading.local()  # per thread: the claims opened with ``Vault.claim`` and not yet closed, innermost last


def _claims_for(root: Path) -> _Claims:
    key = os.path.normcase(os.path.realpath(root))
    with _REGISTRIES_LOCK:
        registry = _REGISTRIES.get(key)
        if registry is None:
            registry = _REGISTRIES[key] = _Claims()
        return registry


class VaultClaim:
    """Content an operation in flight needs: no remover of this process deletes a claimed file.

    Made by ``Vault.claim``. While it is open (``with``), every file the same thread copies into this vault
    (``Vault.store``, ``Vault.copy_to_temp``, and so an imaging batch) is added to it as soon as its digest is known,
    before the copy gets its real name. ``add`` claims digests explicitly (content an undo is about to refer to
    again). ``release`` gives everything up; it is idempotent (it returns the same digests each time), and leaving
    the ``with`` block calls it. An operation that rolls back releases its claim first and then removes its new
    files, and the digests ``release`` returned, with ``remove_unclaimed`` (a file another operation has claimed
    meanwhile stays).
    """

    def __init__(self, registry: _Claims) -> None:
        self._registry = registry
        self._held: Counter[str] = Counter()
        self._released = False
        self._handed: frozenset[str] = frozenset()

    def add(self, digests: Iterable[str]) -> None:
        with self._registry.lock:
            if self._released:
                raise VaultError("This claim on stored files has been released already.")
            for sha in digests:
                self._held[sha] += 1
                self._registry.counts[sha] += 1

    def release(self) -> frozenset[str]:
        """Give the claim up. Returns the digests a remover wanted gone while this was their last claim: a rollback
        removes those too (with ``remove_unclaimed``, if no row uses them); a committed operation ignores them."""
        with self._registry.lock:
            if self._released:
                return self._handed  # the same answer again (``with`` may have released it already)
            self._released = True
            registry = self._registry
            handed: set[str] = set()
            for sha, n in self._held.items():
                left = registry.counts[sha] - n
                if left > 0:
                    registry.counts[sha] = left
                    continue
                del registry.counts[sha]
                if sha in registry.handed_over:
                    registry.handed_over.discard(sha)
                    handed.add(sha)
            self._held.clear()
            self._handed = frozenset(handed)
            return self._handed

    @property
    def digests(self) -> frozenset[str]:
        with self._registry.lock:
            return frozenset(self._held)

    def __enter__(self) -> VaultClaim:
        stack = getattr(_ACTIVE, "stack", None)
        if stack is None:
            stack = _ACTIVE.stack = []
        stack.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        stack = getattr(_ACTIVE, "stack", [])
        for i in range(len(stack) - 1, -1, -1):
            if stack[i] is self:
                del stack[i]
                break
        self.release()


def _active_claim(registry: _Claims) -> VaultClaim | None:
    stack: list[VaultClaim] = getattr(_ACTIVE, "stack", [])
    for claim in reversed(stack):
        if claim._registry is registry and not claim._released:
            return claim
    return None


class Vault:
    def __init__(self, root: Path, key: FolderKey | None = None) -> None:
        self.root = Path(root)
        self.key = key
        self._claims = _claims_for(self.root)
        self._plain: dict[str, Path] = {}  # a sealed vault's plain copies made by plain_path, by digest
        self._plain_dir: Path | None = None
        self._plain_lock = threading.Lock()

    def plain_path(self, sha256: str) -> Path:
        """A path holding the stored file's plain content, for what must read a file by its name (a PDF merged
        into the packet, a picture measured, a document read, the system's viewer).

        In a plain vault, the stored file itself. In a sealed one, a plain copy, decrypted and checked against its
        SHA-256, in a private folder of the data folder's scratch space (0700, the copy 0600, named by this
        process's id) made once per file and removed by ``drop_plain_copies`` (when the folder is closed or
        locked); what a killed process left is swept when the folder is next opened. Raises VaultError when the
        file is missing or damaged.
        """
        if self.key is None:
            return self.path_for(sha256)
        from secondopinion_desktop.core.scratch import scratch_dir

        with self._plain_lock:
            known = self._plain.get(sha256)
            if known is not None and known.is_file():
                return known
            if self._plain_dir is None or not self._plain_dir.is_dir():
                self._plain_dir = scratch_dir(self.root.parent, owned_temp_prefix("plain"))
            target = self._plain_dir / sha256
            fd, tmp = _mkstemp(self._plain_dir)
            try:
                with os.fdopen(fd, "wb") as out, self.open(sha256) as src:
                    digest = hashlib.sha256()
                    while True:
                        chunk = src.read(CHUNK_SIZE)
                        if not chunk:
                            break
                        digest.update(chunk)
                        out.write(chunk)
                if digest.hexdigest() != sha256:
                    raise VaultDamaged(sha256, f"The stored file {sha256[:12]}… is damaged: its content no longer "
                                               "matches the SHA-256 it was stored with.")
                os.replace(tmp, target)
            except OSError as exc:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise VaultError(f"The stored file {sha256[:12]}… cannot be read: {exc.strerror or exc}.") from exc
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            self._plain[sha256] = target
            return target

    def drop_plain_copies(self) -> None:
        """Remove every plain copy ``plain_path`` made (a sealed vault's)."""
        with self._plain_lock:
            where, self._plain_dir = self._plain_dir, None
            self._plain.clear()
        if where is not None:
            import shutil

            shutil.rmtree(where, ignore_errors=True)

    @property
    def sealed(self) -> bool:
        """True in an encrypted folder: the files on disk are sealed and named by keyed hashes."""
        return self.key is not None

    def name_of(self, sha256: str) -> str:
        """The name on disk of the stored file with this plain SHA-256 (the digest itself in a plain vault)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise VaultError(f"{sha256!r} is not a SHA-256 digest.")
        return sha256 if self.key is None else self.key.name_of(sha256)

    def path_of_name(self, name: str) -> Path:
        return self.root / name[:2] / name

    def claimed_name(self, name: str) -> bool:
        """``claimed`` for a name on disk (what ``stored`` lists)."""
        with self._claims.lock:
            return any(n > 0 and self.name_of(sha) == name for sha, n in self._claims.counts.items())

    def claim(self, digests: Iterable[str] = ()) -> VaultClaim:
        """A claim on ``digests`` (and, while open with ``with``, on every file this thread copies into the vault).

        Hold it from before the files are written (or, for an undo, before checking they are still there) until
        the rows that refer to them are committed, or the operation has been rolled back.
        """
        claim = VaultClaim(self._claims)
        claim.add(digests)
        return claim

    def claimed(self, sha256: str) -> bool:
        """True while an operation in flight in this process holds a claim on this content."""
        with self._claims.lock:
            return self._claims.counts[sha256] > 0

    def remove_unclaimed(self, sha256: str, unused: Callable[[], bool] | None = None) -> bool:
        """Delete a stored file unless an operation in flight claims it; True if it was removed.

        ``unused()`` (asking the database whether any committed row refers to the file) is called under the lock
        that claims take, right before the deletion, so no operation can claim the file between the decision and
        the removal; an operation that commits its rows and then releases its claim is seen by one or the other.
        """
        with self._claims.lock:
            if self._claims.counts[sha256] > 0:
                self._claims.handed_over.add(sha256)  # the claim's rollback, if it comes to that, removes it
                return False
            if unused is not None and not unused():
                return False
            return self.remove(sha256)

    def remove_unclaimed_name(self, name: str, unused: Callable[[], bool] | None = None) -> bool:
        """``remove_unclaimed`` for a name on disk (an unreferenced file of a sealed vault is known by it only)."""
        if self.key is None:
            return self.remove_unclaimed(name, unused)
        with self._claims.lock:
            if self.claimed_name(name):
                return False
            if unused is not None and not unused():
                return False
            return self._remove_path(self.path_of_name(name))

    def ensure(self) -> None:
        self.root.mkdir(mode=0o700, exist_ok=True)
        self.sweep_temp_files()

    def path_for(self, sha256: str) -> Path:
        """Where the stored file with this plain SHA-256 lives (sealed, under its keyed name, in a sealed vault)."""
        return self.path_of_name(self.name_of(sha256))

    def exists(self, sha256: str) -> bool:
        """True when the file is stored as a regular file (a link under its name does not count)."""
        path = self.path_for(sha256)
        return not path.parent.is_symlink() and is_regular_file(path)

    def copy_to_temp(
        self,
        source: Path,
        *,
        progress: Progress | None = None,
        cancelled: CancelCheck | None = None,
        durable: bool = True,
    ) -> tuple[Path, str, int]:
        """Stream ``source`` into a new temporary file in the vault; returns (temporary path, SHA-256, size).

        The file has no real name yet (see ``store`` and ``imaging.vaultbatch``); with ``durable`` it is
        fsynced. A source that cannot be read raises ``SourceUnreadable``; cancel raises ``Cancelled``; either
        way the temporary file is gone. Inside a ``with vault.claim()`` block of this thread, the digest is claimed
        before this returns, so nothing removes the content between now and the commit of its rows.
        """
        source = Path(source)
        try:
            total = source.stat().st_size
            src = open(source, "rb")  # noqa: SIM115 -- closed in the finally below, after the copy
        except OSError as exc:
            raise SourceUnreadable(f"Cannot read {source.name}: {exc.strerror or exc}.") from exc
        return self._copy_from(src, source, total, progress, cancelled, durable)

    def _copy_from(self, src, source: Path, total: int, progress: Progress | None,  # type: ignore[no-untyped-def]
                   cancelled: CancelCheck | None, durable: bool) -> tuple[Path, str, int]:
        try:
            try:
                fd, tmp_name = _mkstemp(self.root)
            except VaultError:
                if self.root.is_dir():
                    raise
                self.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # first file of a new vault
                fd, tmp_name = _mkstemp(self.root)
        except BaseException:
            src.close()
            raise
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            done = 0
            with src, os.fdopen(fd, "wb") as dst:
                if self.key is not None:  # sealed: encrypted chunk by chunk, hashed in plain on the way
                    done = self._seal(src, dst, digest, source, total, progress, cancelled)
                else:
                    done = _plain_copy(src, dst, digest, source, total, progress, cancelled)
                if durable:
                    dst.flush()
                    os.fsync(dst.fileno())
            sha = digest.hexdigest()
            claim = _active_claim(self._claims)
            if claim is not None:
                claim.add((sha,))
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, VaultError):
                raise VaultError(f"Cannot store {source.name} in the vault: {exc.strerror or exc}.") from exc
            raise
        return tmp, sha, done

    def _seal(self, src, dst, digest, source: Path, total: int, progress: Progress | None,  # type: ignore[no-untyped-def]
              cancelled: CancelCheck | None) -> int:
        from secondopinion_desktop.core.crypto.stream import encrypt_stream

        assert self.key is not None
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total)

        class _Reader:
            def read(self, n: int) -> bytes:
                try:
                    return bytes(src.read(n))
                except OSError as exc:
                    raise SourceUnreadable(f"Cannot read {source.name} to the end: {exc.strerror or exc}.") from exc

        return encrypt_stream(self.key.content, _Reader(), dst, advance=advance, cancelled=cancelled,  # type: ignore[arg-type]
                              hasher=digest)

    def store_bytes(self, data: bytes) -> StoredFile:
        """``store`` for content held in memory (a thumbnail): it reaches the disk only as the vault stores it."""
        import io

        class _Source(io.BytesIO):
            name = "the picture"

        return self._store_from(_Source(data), Path("data"))

    def store_from(self, source: BinaryIO, *, label: str = "the file", progress: Progress | None = None,
                   cancelled: CancelCheck | None = None) -> StoredFile:
        """``store`` for content read from an open file (``label`` names it in an error)."""
        return self._store_from(source, Path(label), 0, progress, cancelled)

    def store(
        self,
        source: Path,
        *,
        progress: Progress | None = None,
        cancelled: CancelCheck | None = None,
    ) -> StoredFile:
        """Copy ``source`` into the vault and return its digest and size.

        ``progress(done, total)`` is called after each chunk; when ``cancelled()`` turns True the copy stops,
        the temporary file is removed and ``Cancelled`` is raised.
        """
        source = Path(source)
        try:
            total = source.stat().st_size
            src = open(source, "rb")  # noqa: SIM115 -- closed by the copy
        except OSError as exc:
            raise SourceUnreadable(f"Cannot read {source.name}: {exc.strerror or exc}.") from exc
        return self._store_from(src, source, total, progress, cancelled)

    def _store_from(self, src, source: Path, total: int = 0, progress: Progress | None = None,  # type: ignore[no-untyped-def]
                    cancelled: CancelCheck | None = None) -> StoredFile:
        tmp, sha, done = self._copy_from(src, source, total, progress, cancelled, True)
        try:
            final = self.path_for(sha)
            already_present = final.is_file()
            # Even when the content is already stored, the fresh copy replaces it (one atomic rename), so a
            # damaged vault file is mended by attaching the original again.
            final.parent.mkdir(mode=0o700, exist_ok=True)
            os.replace(tmp, final)
            fsync_folder(final.parent)
            return StoredFile(sha256=sha, size=done, already_present=already_present)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            if isinstance(exc, OSError) and not isinstance(exc, VaultError):
                raise VaultError(f"Cannot store {source.name} in the vault: {exc.strerror or exc}.") from exc
            raise

    def open(self, sha256: str):  # type: ignore[no-untyped-def]
        """Open a stored file for reading, never through a link; raises VaultError when missing or not a file."""
        path = self.path_for(sha256)
        try:
            fd = open_regular_nofollow(path)
        except FileNotFoundError as exc:
            raise VaultError(f"The stored file {sha256[:12]}… is missing from the vault.") from exc
        except NotARegularFile as exc:
            raise VaultDamaged(sha256, f"The stored file {sha256[:12]}… has been replaced by something that is "
                                       "not a stored file (a link or a folder); it is not used.") from exc
        except OSError as exc:
            raise VaultError(f"The stored file {sha256[:12]}… cannot be read: {exc.strerror or exc}.") from exc
        if self.key is not None:
            from secondopinion_desktop.core.crypto.seal import open_sealed

            def damaged(why: str) -> Exception:
                return VaultDamaged(sha256, f"The stored file {sha256[:12]}… is damaged: {why[0].lower()}{why[1:]}")

            return open_sealed(fd, self.key.content, damaged=damaged)
        return os.fdopen(fd, "rb")

    def open_verified(self, sha256: str):  # type: ignore[no-untyped-def]
        """``open``, after checking through the same open file that its content still has this SHA-256.

        Returns the file positioned at its start. Damaged content raises ``VaultDamaged`` (a VaultError) and
        nothing is returned, so a damaged file never reaches a packet, an export or a viewer. This reads the file
        once more; callers that stream the file anyway should hash while streaming instead.
        """
        fh = self.open(sha256)
        try:
            actual = sha256_of_fd(fh)
            if actual != sha256:
                raise VaultDamaged(sha256, f"The stored file {sha256[:12]}… is damaged: its content no longer "
                                           "matches the SHA-256 it was stored with.")
            fh.seek(0)
        except OSError as exc:
            fh.close()
            raise VaultError(f"The stored file {sha256[:12]}… cannot be read: {exc.strerror or exc}.") from exc
        except BaseException:
            fh.close()
            raise
        return fh

    def read_verified(self, sha256: str) -> bytes:
        """The whole content of a stored file, checked against its SHA-256 (``VaultDamaged`` if it is not)."""
        with self.open(sha256) as fh:
            data: bytes = fh.read()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise VaultDamaged(sha256, f"The stored file {sha256[:12]}… is damaged: its content no longer "
                                       "matches the SHA-256 it was stored with.")
        return data

    def remove(self, sha256: str) -> bool:
        """Delete a stored file; True if it was there. Removers of unused content use ``remove_unclaimed``."""
        return self._remove_path(self.path_for(sha256))

    def _remove_path(self, path: Path) -> bool:
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only succeeds when empty
        return True

    def verify(self, sha256: str) -> bool:
        """True when the file is stored as a regular file (not a link) whose content has this SHA-256."""
        self.path_for(sha256)  # a malformed digest is the caller's error, not a damaged file
        try:
            with self.open(sha256) as fh:
                return sha256_of_fd(fh) == sha256
        except (VaultError, OSError):
            return False

    def stored(self) -> Iterator[str]:
        """The names of every stored file in the vault: regular files only, never reached through a link. In a
        plain vault a name is the file's SHA-256; in a sealed one its keyed name (``name_of``)."""
        if not self.root.is_dir():
            return
        for sub in sorted(self.root.iterdir()):
            if len(sub.name) == 2 and not sub.is_symlink() and sub.is_dir():
                for f in sorted(sub.iterdir()):
                    if len(f.name) == 64 and is_regular_file(f):
                        yield f.name

    def links(self) -> list[Path]:
        """Names in the vault that are links (or other non-regular entries where a stored file belongs).

        A stored file replaced by a link would hand whatever the link points at to a packet or a backup; they are
        never read, ``check`` reports them and ``remove_link`` deletes the link itself (never what it points at).
        """
        found: list[Path] = []
        if not self.root.is_dir():
            return found
        for sub in sorted(self.root.iterdir()):
            if len(sub.name) != 2 or sub.name.startswith("."):
                continue
            if sub.is_symlink():
                found.append(sub)
                continue
            if not sub.is_dir():
                continue
            for f in sorted(sub.iterdir()):
                if len(f.name) == 64 and (f.is_symlink() or not (is_regular_file(f) or f.is_dir())):
                    found.append(f)
        return found

    def remove_link(self, path: Path) -> bool:
        """Delete a link found by ``links`` (the link only, what it points at is untouched); True if removed."""
        path = Path(path)
        if path.parent != self.root and path.parent.parent != self.root:
            return False
        if not path.is_symlink():
            return False
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # unlink never follows a link
        return not path.is_symlink()

    def sweep_temp_files(self, older_than: float = STALE_TEMP_SECONDS) -> int:
        """Remove temporary files left by an interrupted copy; returns how many were removed.

        A file of a process still running (see ``owned_temp_prefix``) stays whatever its age.
        """
        removed = 0
        now = time.time()
        for tmp in self.root.glob(TEMP_PREFIX + "*"):
            with contextlib.suppress(OSError):
                if now - tmp.lstat().st_mtime >= older_than and not temp_in_use(tmp.name):
                    tmp.unlink()
                    removed += 1
        return removed


def _plain_copy(src, dst, digest, source: Path, total: int, progress: Progress | None,  # type: ignore[no-untyped-def]
                cancelled: CancelCheck | None) -> int:
    done = 0
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled()
        try:
            chunk = src.read(CHUNK_SIZE)
        except OSError as exc:
            raise SourceUnreadable(f"Cannot read {source.name} to the end: {exc.strerror or exc}.") from exc
        if not chunk:
            return done
        digest.update(chunk)
        dst.write(chunk)
        done += len(chunk)
        if progress is not None:
            progress(done, total)


def _mkstemp(folder: Path) -> tuple[int, str]:
    import tempfile

    try:
        fd, name = tempfile.mkstemp(prefix=owned_temp_prefix(), dir=folder)
    except OSError as exc:
        raise VaultError(f"Cannot write to the vault {folder}: {exc.strerror or exc}.") from exc
    return fd, name
