from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health
from .roles import Role, role_names
from .structure import supervisor_of


@login_required
def home(request):
    user = request.user
    roles = [Role.LABELS.get(name, name) for name in sorted(role_names(user))]
    return render(request, "admin24/home.html", {"roles": roles, "supervisor": supervisor_of(user)})


@never_cache
@require_GET
def healthz(request):
    checks = health.status()
    ok = all(value == "ok" for value in checks.values())
    return JsonResponse(checks, status=200 if ok else 503)
