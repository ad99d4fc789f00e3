"""API authentication: ``Authorization: Bearer <key>`` tokens, and the Django session.

The token class comes first in the settings so that DRF answers an unauthenticated request with
401 and a ``WWW-Authenticate`` challenge (DRF answers 403 when the first class has none).
"""

from rest_framework import authentication, exceptions

from programs.api.tokens import TokenRejected, token_for_key

SCHEMES = ("bearer", "token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        # From META: DRF's get_authorization_header() goes through request.headers, which
        # builds a mapping of every header of the request first.
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token as 'Authorization: Bearer <key>'."
            )
        key = header[1]
        if not key.isascii():
            raise exceptions.AuthenticationFailed("Malformed API token.")
        try:
            check = token_for_key(key)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(str(rejected)) from None
        return check.user, check

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
