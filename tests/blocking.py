"""Python with some packages made unimportable, the way a machine without them behaves.

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
