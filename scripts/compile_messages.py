"""Compile every locale/*/LC_MESSAGES/*.po into its .mo with Babel (pure Python).

`make run` and `make test` call this, so a machine without GNU gettext still gets translated
pages. Fails on a .po file that does not parse, so CI catches a broken translation.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    compiled = 0
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3], abort_invalid=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        compiled += 1
    print(f"compiled {compiled} message catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
