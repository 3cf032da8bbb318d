"""Compile every locale/*/LC_MESSAGES/*.po into its .mo with Babel (pure Python), after checking them.

`make run` and `make test` call this, so a machine without GNU gettext still gets translated
pages. It fails (exit 1, saying which entries) on a .po file that does not parse, and on any
entry of the default language's catalogues (Russian) that is fuzzy, untranslated, or whose
placeholders differ from the English — such an entry shows English (or a wrong text) on a
Russian page. So CI, which runs `make test`, fails on them too.
"""

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
# The language every page falls back to: its catalogue must be complete.
COMPLETE = ("ru",)


def read(po_path: Path):
    with po_path.open("rb") as po_file:
        return read_po(po_file, locale=po_path.parts[-3], abort_invalid=True)


def problems(po_path: Path) -> list[str]:
    """What is wrong with a catalogue that must be complete: one line per entry."""
    found = []
    catalog = read(po_path)
    for message in catalog:
        if not message.id:
            continue
        name = message.id[0] if isinstance(message.id, tuple | list) else message.id
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy:
            found.append(f"{po_path}:{message.lineno}: fuzzy: {name!r}")
        elif not all(strings):
            found.append(f"{po_path}:{message.lineno}: untranslated: {name!r}")
    for message, errors in catalog.check():
        for error in errors:
            found.append(f"{po_path}:{message.lineno}: {error}: {message.id!r}")
    return found


def main() -> int:
    wrong = []
    for language in COMPLETE:
        for po_path in sorted((ROOT / "locale" / language / "LC_MESSAGES").glob("*.po")):
            wrong += problems(po_path)
    if wrong:
        print("\n".join(wrong), file=sys.stderr)
        print(f"{len(wrong)} entr{'y' if len(wrong) == 1 else 'ies'} to translate or fix", file=sys.stderr)
        return 1
    compiled = 0
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        catalog = read(po_path)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        compiled += 1
    print(f"compiled {compiled} message catalogue(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
