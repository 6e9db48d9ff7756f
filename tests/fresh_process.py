"""What the tests that start a fresh Python share.

``HANG_GUARD_S``: how long one may run before it counts as hung. Not a speed limit: a
2-core machine shared with other work can be several times slower than an idle one, and
no test may depend on that, so the guard is far above any run measured under load.

``BLOCKER``: Python with some packages made unimportable, the way a machine without them
behaves.

``BLOCKER`` starts the scripts that tests run in a fresh interpreter; its ``{blocked!r}``
field takes the top-level package names to refuse, so ``BLOCKER + rest`` is formatted
as one template (braces in ``rest`` doubled).
"""

BLOCKER = """
import sys
BLOCKED = {blocked!r}
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked for this test)")
sys.meta_path.insert(0, Blocker())
"""

HANG_GUARD_S = 1800  # the slowest fresh-process run measured under load: about 250 s
