"""«My tasks», the task card, completing and reopening."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from admin24.access import Action, can, filter_queryset, require
from admin24.workflow import DomainError

from ..forms.tasks import TaskCompleteForm
from ..models import Task, TaskChecklistItem
from ..services.tasks import checklist_set_done, missing_requirements, task_complete, task_reopen
from .common import readable_or_404

MY_TASKS_LIMIT = 500


@login_required
def my_tasks(request):
    """Open tasks: overdue first, then today's, then the upcoming ones, then those without a deadline.

    "Today" is the user's today: the middleware has switched to their time zone.
    """
    now = timezone.now()
    local_midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = local_midnight + datetime.timedelta(days=1)
    tasks = filter_queryset(
        request.user,
        Task.objects.filter(responsible=request.user, status=Task.Status.OPEN).select_related("lead", "deal"),
        Action.READ,
    ).order_by("deadline", "pk")[:MY_TASKS_LIMIT]
    groups = {"overdue": [], "today": [], "upcoming": [], "undated": []}
    for task in tasks:
        if task.deadline is None:
            groups["undated"].append(task)
        elif task.deadline < now:
            groups["overdue"].append(task)
        elif task.deadline < tomorrow:
            groups["today"].append(task)
        else:
            groups["upcoming"].append(task)
    sections = [
        ("overdue", _("Overdue"), groups["overdue"]),
        ("today", _("Today"), groups["today"]),
        ("upcoming", _("Upcoming"), groups["upcoming"]),
        ("undated", _("No deadline"), groups["undated"]),
    ]
    return render(request, "crm/tasks/my_tasks.html", {"sections": sections})


def _task(request, pk: int) -> Task:
    queryset = Task.objects.select_related("responsible", "lead", "deal", "completed_by", "created_by")
    return readable_or_404(request.user, queryset, pk)


@login_required
def task_detail(request, pk: int):
    task = _task(request, pk)
    context = {
        "task": task,
        "can_edit": can(request.user, task, Action.EDIT),
        "checklist": task.checklist.order_by("position", "pk"),
        "missing": missing_requirements(task) if task.is_open else [],
        "complete_form": TaskCompleteForm(),
    }
    return render(request, "crm/tasks/detail.html", context)


@login_required
@require_POST
def task_complete_view(request, pk: int):
    task = _task(request, pk)
    require(request.user, task, Action.EDIT)
    form = TaskCompleteForm(request.POST)
    form.is_valid()
    try:
        task_complete(task=task, by=request.user, comment=form.cleaned_data.get("comment", ""))
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The task is done."))
    return redirect("crm:task-detail", pk=task.pk)


@login_required
@require_POST
def task_reopen_view(request, pk: int):
    task = _task(request, pk)
    require(request.user, task, Action.EDIT)
    task_reopen(task=task, by=request.user)
    messages.success(request, _("The task is open again."))
    return redirect("crm:task-detail", pk=task.pk)


@login_required
@require_POST
def task_checklist_item(request, pk: int, item_pk: int):
    task = _task(request, pk)
    require(request.user, task, Action.EDIT)
    item = TaskChecklistItem.objects.filter(task=task, pk=item_pk).first()
    if item is None:
        messages.error(request, _("There is no such checklist item."))
    else:
        checklist_set_done(item=item, by=request.user, done=request.POST.get("done") == "1")
    return redirect("crm:task-detail", pk=task.pk)
