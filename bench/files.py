"""Output files of the command line: checked before a run, written whole or not at all.

A file is written to a temporary file in the same folder and then renamed onto its
name (``os.replace``, atomic on one file system), so a failure while writing (a full
disk, an interrupt) leaves the earlier file as it was and no partial file behind.
"""

import contextlib
import os
import pathlib
import tempfile


def check_writable(path):
    """Raise ``ValueError`` saying why a file could not be written at ``path``.

    Checks what a user can get wrong before any work starts: an empty path, a path
    that is a folder, a folder that does not exist or cannot be written in. The
    folder is tried for real (a temporary file is made there and removed), since
    permission bits do not tell the whole story (a read-only file system, root).
    """
    if not str(path).strip():
        raise ValueError("the path is empty")
    target = pathlib.Path(path)
    if target.is_dir():
        raise ValueError(f"{path} is a folder, not a file")
    folder = target.parent
    if not folder.exists():
        raise ValueError(f"folder {folder} does not exist")
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{target.name}.", suffix=".tmp"):
            pass
    except OSError as error:
        raise ValueError(f"cannot write in folder {folder}: {error.strerror}") from None


@contextlib.contextmanager
def replaced_atomically(path, mode="w"):
    """Open a temporary file beside ``path`` for writing; on success rename it onto ``path``.

    If the ``with`` block or the rename fails, the temporary file is removed and
    ``path`` keeps what it had. The new file gets the old one's permissions, or the
    usual ones (0o666 less the umask) when there was none.
    """
    target = pathlib.Path(path)
    handle = tempfile.NamedTemporaryFile(
        mode, dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, _permissions(target))
        os.replace(handle.name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise


def _permissions(target):
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)  # the only way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask
