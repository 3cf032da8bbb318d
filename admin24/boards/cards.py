"""A board's card: what it shows (``Card``, computed by the board's ``card()``) and its HTML."""

from dataclasses import dataclass, field

from django.utils.translation import gettext

from admin24.fragments import Fragment, joined


@dataclass(slots=True)
class Card:
    """What a card shows, as plain values: its HTML (``cards_html``) looks nothing up."""

    pk: int
    url: str
    title: str
    prefix: str = ""  # shown dimmed before the title (a ticket's number)
    lines: list[tuple[str, str]] = field(default_factory=list)  # (extra CSS class, text) under the title
    badge: str = ""
    initials: str = ""
    person: str = ""
    nobody: str = ""  # said instead of the initials when no one is responsible
    when: str = ""
    when_title: str = ""
    overdue: bool = False

    def set_person(self, user) -> None:
        if user is not None:
            self.initials, self.person = user.initials, user.full_name


CARD = Fragment(
    '<article class="kanban-card card shadow-sm{overdue_class}" data-pk="{pk}">\n  <div class="card-body p-2">\n'
    '    <a class="kanban-card-title" href="{url}">{prefix}{title}</a>\n'
    "    {lines}{badge}\n"
    '    <div class="d-flex flex-wrap align-items-center gap-2 mt-1 small">\n      {person}{when}\n    </div>\n'
    "  </div>\n</article>\n"
)
CARD_PREFIX = Fragment('<span class="text-body-secondary">{text}</span> ')
CARD_LINE = Fragment('<div class="small{css}">{text}</div>')
CARD_BADGE = Fragment('<span class="badge text-bg-warning">{text}</span>')
CARD_AVATAR = Fragment('<span class="kanban-avatar" title="{person}">{initials}</span>')
CARD_NOBODY = Fragment('<span class="text-body-secondary">{text}</span>')
CARD_WHEN = Fragment('<span class="{css}" title="{title}">{text}</span>')
CARD_OVERDUE = Fragment('<span class="badge text-bg-danger" data-overdue>{text}</span>\n      ')


def cards_html(cards: list[Card]) -> str:
    """The column's cards as HTML (``admin24.fragments``): one ``str.format`` per card, where the
    template engine resolved some twenty variables and tags per card."""
    overdue = CARD_OVERDUE.render(text=gettext("overdue"))
    parts = []
    for card in cards:
        if card.initials:
            person = CARD_AVATAR.render(person=card.person, initials=card.initials)
        else:
            person = CARD_NOBODY.render(text=card.nobody) if card.nobody else ""
        when = ""
        if card.when:
            css = "text-danger fw-semibold" if card.overdue else "text-body-secondary"
            when = CARD_WHEN.render(css=css, title=card.when_title, text=card.when)
        if card.overdue:
            when = overdue + when
        parts.append(
            CARD.render(
                overdue_class=" kanban-card-overdue" if card.overdue else "",
                pk=card.pk,
                url=card.url,
                prefix=CARD_PREFIX.render(text=card.prefix) if card.prefix else "",
                title=card.title,
                lines=joined(CARD_LINE.render(css=f" {css}" if css else "", text=text) for css, text in card.lines),
                badge=CARD_BADGE.render(text=card.badge) if card.badge else "",
                person=person,
                when=when,
            )
        )
    return joined(parts)
