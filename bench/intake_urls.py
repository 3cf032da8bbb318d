"""The app's URLs plus the bare-Django floor the intake is compared with (bench only)."""

from django import forms
from django.db import connection
from django.http import HttpResponse, HttpResponseBadRequest
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

FLOOR_TABLE = "bench_floor_submission"


class FloorForm(forms.Form):
    name = forms.CharField(max_length=300)
    email = forms.EmailField()
    subject = forms.CharField(max_length=300)
    description = forms.CharField(max_length=20000)


@csrf_exempt  # like the public form, which cannot rely on cookies inside a frame
def floor(request):
    """Validate a small form and insert one row: the least a Django intake can do."""
    form = FloorForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form.errors.as_text())
    data = form.cleaned_data
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {FLOOR_TABLE} (name, email, subject, description, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, now()) RETURNING id",
            [data["name"], data["email"], data["subject"], data["description"]],
        )
        row_id = cursor.fetchone()[0]
    return HttpResponse(f"#{row_id}", status=201)


urlpatterns = [path("bench/floor/", floor), path("", include("config.urls"))]
