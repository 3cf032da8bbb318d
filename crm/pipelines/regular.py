"""«Регулярные платежи»: the monthly billing pipeline a won contract deal continues in (SPEC §2).

Its stages only, for now: the regular-payments issue adds the guards and robots here.
"""

from django.utils.translation import gettext_lazy

from ..models import RegularStage
from .base import ACTIVE, LOST, Pipeline, Stage

PIPELINE = Pipeline(
    key="regular",
    label=gettext_lazy("Regular payments"),
    stages=[
        Stage(RegularStage.INVOICE_FORMING, RegularStage.INVOICE_FORMING.label, 10, ACTIVE),
        Stage(RegularStage.INVOICE_SENT, RegularStage.INVOICE_SENT.label, 20, ACTIVE),
        Stage(RegularStage.INVOICE_PAID, RegularStage.INVOICE_PAID.label, 30, ACTIVE),
        Stage(RegularStage.CLOSING_DOCS, RegularStage.CLOSING_DOCS.label, 40, ACTIVE),
        Stage(RegularStage.FAILED, RegularStage.FAILED.label, 50, LOST),
    ],
)
