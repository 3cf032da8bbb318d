"""The layers of DESIGN.md "Layout" hold: imports only run downwards and no app has an import circle.

The contracts are in ``.importlinter`` (import-linter: a layers contract for
config → servicedesk → crm → notifications → admin24, and acyclic_siblings for each app); this runs
them with the suite, so a wrong arrow fails ``make test`` and CI with the offending import chain.
"""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_imports_follow_the_layers_and_no_app_has_an_import_circle(capsys):
    exit_code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert exit_code == 0, report
    assert "2 kept, 0 broken" in report
