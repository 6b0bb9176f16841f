"""Where the toolkit writes: output paths checked before any work, files with the user's umask, and
report folders that are replaced without touching anything the toolkit did not write.

Every output path of the command line (``check --json FILE``, ``figures --out DIR``, ``report --out
DIR``) goes through :func:`check_file_target` or :func:`check_dir_target` before a single check runs;
a bad path raises :class:`OutputPathError` (the command line prints its one line and exits 2).

A report folder carries a marker file, :data:`REPORT_MARKER`, listing every file and folder the
toolkit wrote there. ``report --out DIR`` writes only into a folder that is absent, empty, or holds
that marker, and when it replaces an old report it removes only the paths the old marker lists.

Files and folders are created with mode ``0o666`` / ``0o777`` filtered by the process umask (as
``open`` and ``mkdir`` do), never the ``0o600`` / ``0o700`` of :mod:`tempfile`.
"""
from __future__ import annotations

import errno
import json
import os
import secrets

__all__ = ["OutputPathError", "REPORT_MARKER", "check_file_target", "check_dir_target",
           "write_text", "make_temp_dir", "read_marker", "write_marker", "install_report"]

#: the marker file a report folder carries (JSON: ``{"tool": "theory-verify", "files": [...]}``)
REPORT_MARKER = ".theory-verify-report"
_TOOL = "theory-verify"


class OutputPathError(ValueError):
    """An output path the toolkit refuses to write (its message is one line)."""


# ------------------------------------------------------------------------------------ checking
def _nearest_existing(path: str) -> str:
    p = os.path.abspath(path)
    while not os.path.exists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return p


def _probe_writable(d: str, option: str, what: str) -> None:
    """Create and remove a file in folder ``d``: the only test that also sees read-only mounts,
    ACLs and root's view of permissions."""
    if not os.path.isdir(d):
        raise OutputPathError(f"{option}: {what} {d!r} is not a folder")
    probe = os.path.join(d, f".theory-verify-probe-{secrets.token_hex(4)}")
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as e:
        raise OutputPathError(f"{option}: cannot write into {what} {d!r} "
                              f"({os.strerror(e.errno) if e.errno else e})") from None
    os.close(fd)
    os.unlink(probe)


def check_file_target(path: str, option: str = "--json") -> str:
    """Check that ``path`` can be written as a file (an absent path or an existing regular file, in
    a folder that exists or can be created and is writable). Returns the absolute path."""
    if not path:
        raise OutputPathError(f"{option}: empty path")
    ap = os.path.abspath(path)
    if os.path.isdir(ap):
        raise OutputPathError(f"{option} {path!r} is a folder; give a file name (e.g. {path.rstrip('/')}/verdicts.json)")
    if os.path.lexists(ap) and not os.path.isfile(ap):
        raise OutputPathError(f"{option} {path!r} exists and is not a regular file")
    parent = os.path.dirname(ap)
    base = _nearest_existing(parent)
    if not os.path.isdir(base):
        raise OutputPathError(f"{option} {path!r}: {base!r} is a file, not a folder")
    _probe_writable(base, option, "folder")
    return ap


def check_dir_target(path: str, option: str = "--out", *, report: bool = False) -> str:
    """Check that ``path`` can be used as an output folder. Returns the absolute path.

    Refused: an existing file (a file is never replaced by a folder), a folder that cannot be
    written, and, with ``report=True``, a non-empty folder without the :data:`REPORT_MARKER` of a
    report this toolkit wrote (its contents would otherwise be mixed with or replace the user's)."""
    if not path:
        raise OutputPathError(f"{option}: empty path")
    ap = os.path.abspath(path)
    if os.path.lexists(ap) and not os.path.isdir(ap):
        raise OutputPathError(f"{option} {path!r} is an existing file, not a folder; choose another path")
    if report:  # a link to a folder: the report replaces the folder it points to, not the link
        ap = os.path.realpath(ap)
    if os.path.isdir(ap):
        if report and os.listdir(ap) and read_marker(ap) is None:
            raise OutputPathError(
                f"{option} {path!r} is a non-empty folder that is not a theory-verify report (no "
                f"{REPORT_MARKER} marker); refusing to write into it: choose a new or empty folder")
        _probe_writable(ap, option, "folder")
        if report:  # the report is built beside OUT and renamed into place
            _probe_writable(os.path.dirname(ap), option, "the folder holding")
    else:
        base = _nearest_existing(os.path.dirname(ap))
        if not os.path.isdir(base):
            raise OutputPathError(f"{option} {path!r}: {base!r} is a file, not a folder")
        _probe_writable(base, option, "folder")
    return ap


# ------------------------------------------------------------------------------------ writing
def _tmp_path(d: str, stem: str, suffix: str = "") -> str:
    return os.path.join(d, f".{stem}.{secrets.token_hex(6)}.tmp{suffix}")


def create_temp_file(d: str, stem: str, suffix: str = "") -> str:
    """Create an empty file ``d/.stem.<random>.tmp<suffix>`` with mode 0o666 & ~umask; return its path."""
    for _ in range(100):
        p = _tmp_path(d, stem, suffix)
        try:
            fd = os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
        except FileExistsError:
            continue
        os.close(fd)
        return p
    raise FileExistsError(errno.EEXIST, "no free temporary name", d)  # pragma: no cover


def write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file in the same folder, then a rename);
    the file gets the permissions the umask gives (0o666 & ~umask), its folder is created if needed."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    tmp = create_temp_file(d, os.path.basename(path))
    try:
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def make_temp_dir(parent: str, prefix: str) -> str:
    """Create a new folder ``parent/<prefix><random>`` with mode 0o777 & ~umask; return its path."""
    os.makedirs(parent, exist_ok=True)
    for _ in range(100):
        p = os.path.join(parent, f"{prefix}{secrets.token_hex(6)}")
        try:
            os.mkdir(p, 0o777)
        except FileExistsError:
            continue
        return p
    raise FileExistsError(errno.EEXIST, "no free temporary name", parent)  # pragma: no cover


# ------------------------------------------------------------------------------------ reports
def _entries(root: str) -> list[str]:
    """Every file and folder under ``root``, relative, folders with a trailing '/' (marker excluded)."""
    out = []
    for d, dirs, files in os.walk(root):
        rel = os.path.relpath(d, root)
        for x in dirs:
            out.append(os.path.normpath(os.path.join(rel, x)) + "/")
        for x in files:
            r = os.path.normpath(os.path.join(rel, x))
            if r != REPORT_MARKER:
                out.append(r)
    return sorted(out)


def write_marker(root: str, **info) -> None:
    """Write ``root/.theory-verify-report`` listing every path now under ``root``."""
    doc = {"tool": _TOOL, **info, "files": _entries(root)}
    write_text(os.path.join(root, REPORT_MARKER), json.dumps(doc, indent=1) + "\n")


def _safe_rel(rel: str) -> bool:
    r = os.path.normpath(rel.rstrip("/"))
    return bool(r) and r not in (".", "..") and not os.path.isabs(r) and not r.startswith(".." + os.sep)


def read_marker(root: str) -> list[str] | None:
    """The paths a report folder's marker lists (relative, folders ending in '/'), or ``None`` when
    ``root`` holds no valid marker of this toolkit. Unsafe entries (absolute, '..') are dropped."""
    p = os.path.join(root, REPORT_MARKER)
    if not os.path.isfile(p) or os.path.islink(p):
        return None
    try:
        with open(p) as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("tool") != _TOOL or not isinstance(doc.get("files"), list):
        return None
    return [x for x in doc["files"] if isinstance(x, str) and _safe_rel(x)]


def _inside_without_links(root: str, rel: str) -> bool:
    """No component of ``root/rel`` below ``root`` is a symbolic link (so removing it cannot reach
    outside ``root``)."""
    parts = os.path.normpath(rel.rstrip("/")).split(os.sep)
    p = root
    for part in parts[:-1]:
        p = os.path.join(p, part)
        if os.path.islink(p) or not os.path.isdir(p):
            return False
    return True


def _remove_listed(root: str, listed: list[str]) -> None:
    """Remove from ``root`` the files ``listed`` (regular files only) and then the listed folders
    that are left empty; anything else stays."""
    for rel in listed:
        if rel.endswith("/") or not _inside_without_links(root, rel):
            continue
        p = os.path.join(root, rel)
        if os.path.isfile(p) and not os.path.islink(p):
            os.unlink(p)
    for rel in sorted((x for x in listed if x.endswith("/")), key=lambda x: -x.count("/")):
        p = os.path.join(root, rel.rstrip("/"))
        if _inside_without_links(root, rel) and os.path.isdir(p) and not os.path.islink(p):
            try:
                os.rmdir(p)
            except OSError:  # holds something we did not write: keep it
                pass
    m = os.path.join(root, REPORT_MARKER)
    if os.path.isfile(m):
        os.unlink(m)


def install_report(tmp: str, out: str) -> None:
    """Move the finished report folder ``tmp`` (holding its marker) to ``out``.

    ``out`` absent or empty: one rename. ``out`` an old report holding only what its marker lists:
    the old folder is renamed aside, the new one renamed in, and the old one's listed paths removed.
    ``out`` an old report the user added files to: the listed old paths are removed and the new
    files moved in one by one; the user's files stay. Raises :class:`OutputPathError` (leaving
    ``tmp`` in place) when ``out`` is not a report, or a new path would replace something the
    toolkit did not write."""
    if not os.path.lexists(out):
        os.replace(tmp, out)
        return
    if not os.path.isdir(out) or os.path.islink(out):
        raise OutputPathError(f"--out {out!r} is not a folder; the new report is left in {tmp!r}")
    if not os.listdir(out):
        os.replace(tmp, out)   # rename(2) replaces an empty folder
        return
    listed = read_marker(out)
    if listed is None:
        raise OutputPathError(f"--out {out!r} is not a theory-verify report; the new report is left "
                              f"in {tmp!r}")
    present = set(_entries(out))
    if present <= set(listed):
        parent = os.path.dirname(out)
        old = os.path.join(parent, f".report-old-{secrets.token_hex(6)}")
        os.replace(out, old)
        os.replace(tmp, out)
        _remove_listed(old, listed)
        try:
            os.rmdir(old)
        except OSError:  # pragma: no cover - something appeared meanwhile: keep it
            pass
        return
    new = _entries(tmp)
    clash = [r for r in new if not r.endswith("/") and r not in listed
             and os.path.lexists(os.path.join(out, r))]
    clash += [r for r in new if r.endswith("/") and os.path.lexists(os.path.join(out, r.rstrip("/")))
              and not os.path.isdir(os.path.join(out, r.rstrip("/")))]
    if clash:
        raise OutputPathError(f"--out {out!r}: {clash[0]!r} was not written by theory-verify; the new "
                              f"report is left in {tmp!r}")
    _remove_listed(out, listed)
    for rel in new:
        src, dst = os.path.join(tmp, rel.rstrip("/")), os.path.join(out, rel.rstrip("/"))
        if rel.endswith("/"):
            if not os.path.isdir(dst):
                os.mkdir(dst, 0o777)
        else:
            os.replace(src, dst)
    os.replace(os.path.join(tmp, REPORT_MARKER), os.path.join(out, REPORT_MARKER))
    _remove_listed(tmp, new)
    os.rmdir(tmp)
