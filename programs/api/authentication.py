"""API authentication: ``Authorization: Bearer <key>`` tokens, and the Django session.

The token class comes first in the settings so that DRF answers an unauthenticated request with
401 and a ``WWW-Authenticate`` challenge (DRF answers 403 when the first class has none).
"""

from rest_framework import authentication, exceptions

from programs.api.tokens import TokenRejected, token_for_key
from programs.models import ApiToken

#: The schemes a key may be given under (``Token`` is DRF's own keyword).
SCHEMES = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, as NetBox subclasses it: our own token model and key
    format (``programs.api.tokens``), under the ``Bearer`` or ``Token`` scheme."""

    keyword = "Bearer"
    model = ApiToken

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in SCHEMES:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Give the token as 'Authorization: Bearer <key>'."
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Malformed API token.") from None
        return self.authenticate_credentials(key)

    def authenticate_credentials(self, key: str) -> tuple:
        try:
            token = token_for_key(key)
        except TokenRejected as rejected:
            raise exceptions.AuthenticationFailed(str(rejected)) from None
        return token.user, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="api"'
