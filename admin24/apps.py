from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Admin24Config(AppConfig):
    name = "admin24"
    verbose_name = _("Admin24 kernel")

    def ready(self):
        from PIL import Image

        from . import login_throttle  # noqa: F401  (logs every lockout)
        from .files import IMAGE_MAX_PIXELS

        # Pillow's own limit (89 Mpx, refused only above twice that) lets one upload cost a
        # gigabyte; no image this application decodes needs more than IMAGE_MAX_PIXELS.
        Image.MAX_IMAGE_PIXELS = IMAGE_MAX_PIXELS
