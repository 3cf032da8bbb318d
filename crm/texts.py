"""The CRM's system texts: message keys and their templates (``admin24.messages``).

What the CRM's services and robots write onto timelines, tasks and reminders is stored as one of
these keys with its parameters and shown in each reader's language. ``say`` builds a message.
"""

from django.conf import settings
from django.utils import translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from admin24.messages import Message, register

from .models import Deal

TEMPLATES = {
    "crm.lead.converted": _("Deal “%(deal)s” created."),
    "crm.lead.consent": _("The client agreed to the processing of personal data."),
    "crm.lead.new.title": _("New lead: %(title)s"),
    "crm.lead.new.text": _("You are responsible for the new lead “%(title)s” (%(source)s)."),
    "crm.lead.closed.title": _("Lead closed: %(title)s"),
    "crm.lead.closed.text": _("The lead “%(title)s” is closed as «%(stage)s»: %(reason)s"),
    "crm.lead.next_call": _("Time for the next call."),
    "crm.lead.call_task": _("Call %(lead)s (attempt %(number)d of %(total)d)"),
    "crm.lead.closed_tasks": _("The lead is closed."),
    "crm.deal.fields_changed": "%(fields)s",  # the changed fields' names, each translated
    "crm.deal.file_attached": _("%(file)s attached: %(name)s"),
    "crm.deal.file_replaced": _("%(file)s replaced: %(name)s"),
    "crm.contract.recorded": _("Contract %(number)s is recorded."),
    "crm.contract.end_changed": _("Contract %(number)s now ends on %(date)s (was %(before)s)."),
    "crm.renewal.created": _("Contract %(number)s ends on %(date)s: the renewal deal is created."),
    "crm.renewal.title": _("Renew the contract: %(deal)s"),
    "crm.invoice.attached": _("Invoice attached: %(name)s"),
    "crm.invoice.replaced": _("Invoice replaced: %(name)s"),
    "crm.invoice.sent": _("The invoice is sent to %(address)s."),
    "crm.invoice.sent_reason": _("The invoice is sent to the client."),
    "crm.invoice.not_sent": _("The invoice is not sent: %(why)s"),
    "crm.invoice.not_sent.title": _("The invoice is not sent: %(deal)s"),
    "crm.invoice.no_file": _("No invoice file is attached."),
    "crm.invoice.no_contact": _("The deal has no contact: choose the client's contact person, then send the invoice."),
    "crm.invoice.no_email": _("The contact %(contact)s has no email address: add one, then send the invoice."),
    "crm.closing_docs.received": _("The closing documents are received."),
    "crm.period.range": "%(start)s – %(end)s",  # a billing period's first and last day
    "crm.period.next_of": _("The next period after “%(deal)s”."),
    "crm.period.next_created": _("The deal for the next period is created: %(deal)s"),
    # the contract pipeline
    "crm.task.proposal": _("Prepare the commercial proposal: %(deal)s"),
    "crm.task.proposal.text": _(
        "Attach the proposal file to the deal; completing the task moves the deal to «%(stage)s»."
    ),
    "crm.task.contract": _("Draft the contract: %(deal)s"),
    "crm.task.contract.text": _(
        "Attach the contract file and fill in the contract date on the deal; completing the task "
        "moves the deal to «%(stage)s»."
    ),
    "crm.task.audit": _("IT infrastructure audit: %(deal)s"),
    "crm.task.audit.text": _("Go through the checklist; completing the task moves the deal to «%(stage)s»."),
    "crm.task.closing_docs": _("Obtain the closing documents: %(deal)s"),
    "crm.task.done": _("The task “%(task)s” is done."),
    # what a task's holder is told (crm.services.task_notices)
    "crm.task.notice.new": _("New task: %(task)s"),
    "crm.task.notice.new.text": _("You have a new task “%(task)s” %(card)s."),
    "crm.task.notice.new.text.no_card": _("You have a new task “%(task)s”."),
    "crm.task.notice.new.text.by": _("%(by)s gave you the task “%(task)s” %(card)s."),
    "crm.task.notice.new.text.by.no_card": _("%(by)s gave you the task “%(task)s”."),
    "crm.task.notice.overdue": _("Task overdue: %(task)s"),
    "crm.task.notice.overdue.text": _("The deadline of the task “%(task)s” %(card)s has passed and it is not done."),
    "crm.task.notice.overdue.text.no_card": _("The deadline of the task “%(task)s” has passed and it is not done."),
    "crm.task.notice.on.deal": _("on the deal “%(title)s”"),
    "crm.task.notice.on.lead": _("on the lead “%(title)s”"),
    "crm.task.notice.described": "%(text)s\n\n%(description)s",  # a notice's text, then the task's description
    "crm.remind.feedback": _("No answer on the deal for %(days)d days: %(deal)s"),
    "crm.remind.feedback.text": _(
        "The deal “%(deal)s” (%(manager)s) has been in «%(stage)s» for %(days)d days. Move it on or close it."
    ),
    "crm.remind.payment": _("Has the client paid? %(deal)s"),
    "crm.remind.payment.text": _(
        "The deal “%(deal)s” is waiting for payment. Update «%(field)s» when the payment arrives."
    ),
    "crm.remind.stuck": _("The deal cannot move on: %(deal)s"),
    # the regular pipeline
    "crm.task.invoice": _("Attach the invoice: %(deal)s"),
    "crm.task.invoice.text": _(
        "Attach the invoice for %(period)s to the deal: it goes to the client by email at once and the deal "
        "moves to «%(stage)s»."
    ),
    "crm.task.invoice_call": _("Call the client about the invoice: %(deal)s"),
    "crm.task.invoice_call.text": _("Make sure the client has received the invoice and knows when it will be paid."),
    "crm.task.send_closing_docs": _("Prepare and send the closing documents: %(deal)s"),
    "crm.task.send_closing_docs.text": _(
        "The paid period is %(period)s. Mark «%(field)s» on the deal once the client has them."
    ),
    "crm.period.ends_within": _("The paid period ends within %(days)d days."),
    "crm.period.ends_on": _("The paid period ends on %(date)s."),
    "crm.remind.unpaid": _("The invoice is unpaid for %(days)d days: %(deal)s"),
    "crm.remind.unpaid.text": _(
        "The invoice for %(period)s was sent %(days)d days ago. Ask the client; move the deal to "
        "«%(stage)s» when it is paid."
    ),
    "crm.remind.closing_docs": _("No closing documents %(days)d days after the period: %(deal)s"),
    "crm.remind.closing_docs.text": _(
        "The period %(period)s of “%(deal)s” (%(manager)s) ended %(days)d days ago and the client has "
        "no closing documents yet."
    ),
    # leads
    "crm.lead.unreachable": _("The client did not answer %(count)d calls."),
    # why robots closed tasks (a task's result) and moved deals (a move's reason)
    "crm.task.no_answer": _("No answer."),
    "crm.task.stage_left": _("The deal moved from «%(from)s» to «%(to)s»."),
    "crm.deal.payment_received": _("The payment is received."),
    "crm.deal.won": _("The first month is paid and the closing documents are due: the deal is won."),
    "crm.invoice.paid": _("The invoice is paid."),
    "crm.period.superseded": _(
        "The period from %(date)s is billed under the renewal “%(renewal)s” (contract of %(signed)s)."
    ),
    "crm.period.superseded.title": _("The deal is closed: %(deal)s"),
    "crm.period.superseded.unsent": _("%(why)s Its invoice email is not sent."),
}

for _key, _template in TEMPLATES.items():
    register(_key, _template)


def say(key: str, /, **params) -> Message:
    """The message ``key`` (one of ``TEMPLATES``) with ``params``."""
    return Message(key, **params)


def deal_title(template, **params) -> str:
    """The name of a deal a robot makes, as a person might have typed it: ``template`` (a lazy
    gettext string) with ``params`` (lazy ones too), in the site's language whoever was active
    when it was made (a card's name is data, edited as such), cut to what the column holds."""
    with translation.override(settings.LANGUAGE_CODE):
        title = str(template) % {name: str(value) for name, value in params.items()}
    return Truncator(title).chars(Deal._meta.get_field("title").max_length)
