"""The staff page (administrators) and the invitation link (the invited person)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from . import staff
from .form_errors import add_errors
from .models import User
from .roles import Role, is_administrator
from .staff_forms import InviteForm, StaffEditForm
from .views import remember_language


def _administrator(request) -> None:
    if not is_administrator(request.user):
        raise PermissionDenied


@login_required
def staff_list(request):
    _administrator(request)
    show = request.GET.get("show", "active")
    users = User.objects.select_related("department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.order_by("name"))
    )
    users = users.filter(is_active=show != "inactive") if show in ("active", "inactive") else users
    rows = [
        {
            "user": user,
            "roles": [str(Role.LABELS.get(group.name, group.name)) for group in user.groups.all()],
            "invited": staff.is_invited(user),
        }
        for user in users.order_by("last_name", "first_name", "username")[:1000]
    ]
    return render(request, "admin24/staff/list.html", {"rows": rows, "show": show})


@login_required
def staff_invite_view(request):
    _administrator(request)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = staff.staff_invite(
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                patronymic=data["patronymic"],
                department=data["department"],
                roles=data["roles"],
                language=data["language"],
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(
                request,
                _("The invitation is sent to %(email)s; the link works for %(days)s days.")
                % {"email": user.email, "days": staff.INVITATION_DAYS},
            )
            return redirect("staff")
    return render(request, "admin24/staff/form.html", {"form": form, "title": _("Invite a person")})


@login_required
def staff_edit(request, pk: int):
    _administrator(request)
    person = get_object_or_404(User.objects.select_related("department"), pk=pk)
    form = StaffEditForm.for_user(person, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff.staff_update(
                user=person,
                by=request.user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                patronymic=data["patronymic"],
                email=data["email"],
                department=data["department"],
                roles=data["roles"],
            )
        except ValidationError as error:
            add_errors(form, error)
        except staff.StaffRefused as refusal:
            form.add_error(None, refusal.message)
        else:
            messages.success(request, _("The account of %(user)s is saved.") % {"user": person})
            return redirect("staff")
    context = {"form": form, "title": person.full_name, "person": person, "invited": staff.is_invited(person)}
    return render(request, "admin24/staff/form.html", context)


@login_required
@require_POST
def staff_account_action(request, pk: int, action: str):
    """Deactivate, reactivate, or send the invitation again."""
    _administrator(request)
    person = get_object_or_404(User, pk=pk)
    actions = {
        "deactivate": (staff.staff_deactivate, _("%(user)s can no longer sign in.")),
        "reactivate": (staff.staff_reactivate, _("%(user)s can sign in again.")),
        "invite": (staff.staff_resend_invitation, _("A new invitation is sent to %(user)s.")),
    }
    if action not in actions:
        raise PermissionDenied
    use_case, done = actions[action]
    try:
        use_case(user=person, by=request.user)
    except staff.StaffRefused as refusal:
        messages.error(request, refusal.message)
    else:
        messages.success(request, done % {"user": person})
    return redirect("staff-edit", pk=person.pk)


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def accept_invitation(request, token: str):
    """The invited person chooses a password and is signed in."""
    user = staff.user_from_invitation(token)
    if user is None:
        return render(request, "admin24/staff/invitation_invalid.html", status=404)
    form = SetPasswordForm(user, request.POST or None)
    for field in form.fields.values():
        field.widget.attrs.setdefault("class", "form-control")
    if request.method == "POST" and form.is_valid():
        form.save()
        login(request, user, backend="admin24.auth.UsernameOrEmailBackend")
        messages.success(request, _("Welcome! Your password is set."))
        return remember_language(redirect("home"), user.language)
    return render(request, "admin24/staff/invitation.html", {"form": form, "person": user})
