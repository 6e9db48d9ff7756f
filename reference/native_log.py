"""The log lines C++ libraries print while they start, kept off gdkit's terminal.

TensorFlow 2.21 writes its start-up log straight to file descriptor 2 while it loads,
twice (two of its libraries each start absl logging), and before it reads
``TF_CPP_MIN_LOG_LEVEL``, so that setting cannot hide it, and Python's
``sys.stderr`` never sees it::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    I0000 ... port.cc:153] oneDNN custom operations are on. ...
    I0000 ... cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
    I0000 ... cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use ...
    To enable the following instructions: AVX2 AVX512F ..., in other operations, rebuild ...

Looking for a GPU where there is none then logs ``E0000 ... failed call to cuInit``.
So the filter works on the file descriptor: while a library starts, fd 2 goes to a
temporary file; afterwards every line that is not start-up chatter is written back.
Errors (``E`` and ``F`` lines) and everything else Python or C++ printed stay visible.

``TF_CPP_MIN_LOG_LEVEL=0`` (what ``gdkit --verbose`` sets) turns the filter off.
This module is plain Python, so that ``tf_impl`` and ``bench`` share it.
"""

import contextlib
import os
import re
import sys
import tempfile

STARTUP_LINE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IW]\d{4} [\d:. ]+\d+ \S+:\d+\]"  # absl's INFO and WARNING lines
    r"|To enable the following instructions:"  # the second line of the CPU-feature notice
    r"|E\d{4} .*failed call to cuInit"  # the probe for a GPU that is not there
)


def verbose():
    """Whether the user asked for every log line: ``TF_CPP_MIN_LOG_LEVEL=0``."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0"


def errors_only_by_default():
    """``TF_CPP_MIN_LOG_LEVEL=2`` (C++ INFO and WARNING off, errors on) unless the user set it.

    TensorFlow and JAX (XLA) read it when their C++ logging starts, and whichever starts
    first sets it for both (measured: JAX imported first left TensorFlow's warnings on),
    so ``tf_impl``, ``jax_impl`` and ``bench`` each set it before importing a framework.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def startup_log_filtered():
    """Drop the start-up lines (``STARTUP_LINE``) native code writes to fd 2 meanwhile."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (captured, embedded)
        fd = None
    if fd is None or verbose():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), fd)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, fd)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
            kept = [line for line in text.splitlines(True) if not STARTUP_LINE.match(line)]
            sys.stderr.write("".join(kept))
            sys.stderr.flush()
