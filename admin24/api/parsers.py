"""The API's JSON parser: DRF's, with the body's size and nesting bounded.

Python's decoder recurses once per level, so a document nested 100,000 levels deep ends in a
RecursionError (a 500), and DRF reads a JSON body whole whatever its size. This parser reads at
most ``DATA_UPLOAD_MAX_MEMORY_SIZE`` bytes (the limit Django applies to form bodies) and refuses
a document nested deeper than ``MAX_DEPTH``; both are a 400 with a plain ``detail``.
"""

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import renderers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser
from rest_framework.utils import json

MAX_DEPTH = 32  # no endpoint takes more than a few levels


def depth(value) -> int:
    """How deeply lists and objects nest in ``value`` (0 for a plain value), counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in item if isinstance(child, dict | list))
    return deepest


# Not a JSONParser subclass: DRF reads those through ``request.body``, which refuses an oversized
# body with Django's bare "Bad Request" page; this one reads the stream itself and says why.
class BoundedJSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = b"" if stream is None else stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise ParseError(_("The request body is larger than %(limit)s.") % {"limit": filesizeformat(limit)})
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        too_deep = ParseError(_("The JSON is nested more than %(depth)d levels deep.") % {"depth": MAX_DEPTH})
        try:
            # DRF's loads: NaN and Infinity are refused, as its own parser refuses them.
            data = json.loads(raw.decode(encoding))
        except RecursionError:
            raise too_deep from None
        except ValueError as error:
            raise ParseError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
        if depth(data) > MAX_DEPTH:
            raise too_deep
        return data
