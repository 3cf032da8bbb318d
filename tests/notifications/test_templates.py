from pathlib import Path

from django.apps import apps
from django.conf import settings

from notifications.services import render

HOME = Path(settings.BASE_DIR) / "templates" / "notifications"


def test_every_notification_template_lives_in_the_projects_templates_folder():
    in_apps = [
        path
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(settings.BASE_DIR)
        for path in (Path(config.path) / "templates" / "notifications").rglob("subject.txt")
    ]
    assert in_apps == []


def test_every_notification_template_has_all_its_parts_and_renders():
    names = sorted(str(path.parent.relative_to(HOME)) for path in HOME.rglob("subject.txt"))
    assert "reminder" in names and "invoice" in names and "servicedesk/ticket_received" in names
    for name in names:
        assert all((HOME / name / part).is_file() for part in ("subject.txt", "body.txt", "body.html")), name
        assert render(name, {}, language=settings.LANGUAGE_CODE).subject is not None
