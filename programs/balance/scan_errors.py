"""What happens when a programme's scan fails inside a scan of every programme.

The other programmes are still scanned; the failure is logged, kept as a ``ScanError`` (admin →
Scan errors) and mailed to the operators in ``ADMINS``. An unreachable database or broker is not
a programme's fault: it is raised, so the task retries the whole scan later.
"""

import datetime
import logging
import traceback

from django.core.mail import mail_admins
from django.db import InterfaceError, OperationalError

from programs.models import Programme, ScanError

logger = logging.getLogger(__name__)

#: Errors that stop a scan of every programme instead of being recorded against one.
OUTAGES = (OperationalError, InterfaceError)


def one_line(error: BaseException) -> str:
    """The error's kind and message on one line."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def record_scan_error(
    programme_code: str | None, as_of: datetime.date, error: BaseException
) -> ScanError:
    """Log, keep and mail the failure of one scan (``None``: the cross-programme rules)."""
    reason = one_line(error)
    where = programme_code or "the cross-programme rules"
    logger.error("Scan of %s as of %s failed: %s", where, as_of, reason, exc_info=error)
    scan_error = ScanError.objects.create(
        programme=Programme.objects.filter(code=programme_code).first() if programme_code else None,
        programme_code=programme_code or "",
        as_of=as_of,
        reason=reason,
        details="".join(traceback.format_exception(error)),
    )
    mail_admins(
        f"Scan of {where} failed",
        f"The scan of {where} as of {as_of} failed; the other programmes were scanned.\n\n"
        f"{reason}\n\nAdmin → Scan errors, #{scan_error.pk}.",
        fail_silently=True,
    )
    return scan_error
