"""What every request passes through before a view sees it: NUL characters are refused here, once.

PostgreSQL cannot store a NUL in a text column nor compare one in a query, and no person types
one; so a NUL in any query or form parameter (its name or its value) answers 400 naming the
parameter, whatever page or endpoint it was sent to. Django's form fields refuse NUL too, but
views that read ``request.GET`` themselves (searches, filters, the company autofill) do not go
through a form. JSON bodies are parsed by ``admin24.api.parsers`` and their strings checked by
the serializers' fields.
"""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _
from rest_framework.views import APIView

NUL = "\x00"


def _first_with_nul(params) -> str | None:
    for name, values in params.lists():
        if NUL in name or any(NUL in value for value in values if isinstance(value, str)):
            return name.replace(NUL, "\\0")
    return None


class RefuseNullCharactersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = _first_with_nul(request.GET)
        if (
            name is None
            and request.method == "POST"
            and request.content_type
            in (
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
        ):
            name = _first_with_nul(request.POST)
        if name is None:
            return None
        if isinstance(getattr(view_func, "cls", None), type) and issubclass(view_func.cls, APIView):
            # The API's own error shape: the parameter and what is wrong with it.
            return JsonResponse({name: [_("Null characters are not allowed.")]}, status=400)
        return HttpResponseBadRequest(
            _("The parameter “%(name)s” contains a null character, which no field accepts. Remove it and try again.")
            % {"name": name},
            content_type="text/plain; charset=utf-8",
        )
