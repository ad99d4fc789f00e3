"""Content negotiation: DRF's, answering the commonest request without parsing anything.

Most API clients (report scripts, wrk, curl) send no ``Accept`` header or ``Accept: */*`` and
no ``?format=``. DRF then always picks the view's first renderer with that renderer's own
media type, but only after parsing the header and matching every renderer against it, which
took about a tenth of a kept report's whole request. Every other request is DRF's to answer.
"""

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            renderers
            and not format_suffix
            and request.META.get("HTTP_ACCEPT", "*/*").strip() == "*/*"
            # No query string, no ?format=: then no QueryDict is built only to look for it.
            and not (
                request.META.get("QUERY_STRING")
                and self.settings.URL_FORMAT_OVERRIDE in request.query_params
            )
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)
