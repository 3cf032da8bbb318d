"""One Content-Security-Policy for every response the application sends (docs/security.md).

Scripts come only from our own static files: no inline ``<script>``, no ``on…=`` attribute, no
``eval``; data a script needs is in ``data-`` attributes or a ``json_script`` block (JSON, never
executed). Style sheets likewise come only from our own files — templates use classes, not
``<style>`` blocks or ``style=""``. So an injected tag, should escaping ever fail, runs nothing.

Framing is decided here too, once: no site may show a page in a frame unless its view calls
``allow_framing`` with the sites that may. Django's ``XFrameOptionsMiddleware`` then sends the
matching ``X-Frame-Options: DENY`` for every other page (for browsers without
``frame-ancestors``), and none where framing is allowed.

A response that brings its own policy keeps it: a stored file is sent with a stricter one
(``admin24.downloads``: nothing at all may run in it).
"""

HEADER = "Content-Security-Policy"

POLICY = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self'"),
    # Style attributes only (never a <style> element, which is what can read a page through its
    # selectors): the browsable API's own templates position a few buttons with them. Ours use
    # classes (tests/admin24/test_csp.py keeps them so), so browsers without this directive lose
    # nothing of our pages.
    ("style-src-attr", "'unsafe-inline'"),
    # Bootstrap draws its form arrows and the navbar toggler with data: SVG images.
    ("img-src", "'self' data:"),
    ("font-src", "'self'"),
    ("connect-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'self'"),
    ("form-action", "'self'"),
)
NO_FRAMING = ("'none'",)


def allow_framing(response, origins):
    """Let this page be shown in a frame by our own pages and the given origins (``*``: any site)."""
    response.frame_ancestors = ("'self'", *origins)
    response.xframe_options_exempt = True
    return response


def policy(frame_ancestors=NO_FRAMING) -> str:
    return "; ".join(f"{name} {value}" for name, value in (*POLICY, ("frame-ancestors", " ".join(frame_ancestors))))


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(getattr(response, "frame_ancestors", NO_FRAMING))
        return response
