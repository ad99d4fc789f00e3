"""Content negotiation that answers an unknown ``?format=`` as bad input (HTTP 400 naming the
field and the formats the endpoint offers) instead of DRF's 404, which reads as "no such
record"."""

from collections.abc import Iterable

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer


class FormatNegotiation(DefaultContentNegotiation):
    def filter_renderers(
        self, renderers: Iterable[BaseRenderer], format: str
    ) -> list[BaseRenderer]:
        renderers = list(renderers)
        offered = [renderer for renderer in renderers if renderer.format == format]
        if not offered:
            formats = ", ".join(dict.fromkeys(str(renderer.format) for renderer in renderers))
            raise ValidationError({"format": [f"Not a format of this endpoint; pick {formats}."]})
        return offered
