"""Keeping personal data out of the logs.

MaskPersonalData is a filter on the one log handler (settings.LOGGING): every record that is
written, from our code, Django, Celery or a library, passes through it first. It masks

- the values of sensitive keys: in dictionaries and lists passed as arguments, and in the text
  (`password=...`, `"token": "..."`, `name: ...`),
- e-mail addresses and phone numbers anywhere in the message or the traceback,
- the values PostgreSQL quotes in its error details (`Key (value)=(...)`, `Failing row
  contains (...)`).

It is a safety net, not a licence: code must not log personal data in the first place. A name
written in plain prose ("called by Maria Lopez") cannot be recognised by a pattern.
"""

import logging
import re
from collections.abc import Mapping

from django.views.debug import SafeExceptionReporterFilter

MASK = "[masked]"
EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"

# A key is sensitive when its name contains one of these (case-insensitive): "username",
# "first_name" and "party_name" all contain "name". "key" counts as a whole word only
# ("api_key", "secret-key"; not "monkey"). Exception names such as KeyError or ValueError are
# not keys: "ValueError: invalid literal" stays readable.
SENSITIVE_KEY_PARTS = (
    "pass",
    "pwd",
    "secret",
    "token",
    r"(?:\b|_|-)key\b",
    "apikey",
    "auth",
    "cookie",
    "session",
    "otp",
    "csrf",
    "name",
    "birth",
    "dob",
    "phone",
    "mobile",
    "email",
    "address",
    "ssn",
    "passport",
    "identifier",
    "value",
    "summary",
    "narrative",
    "description",
    "note",
)
_SENSITIVE_KEY = re.compile("|".join(SENSITIVE_KEY_PARTS), re.IGNORECASE)

# key=value, key: value, "key": "value", 'key': 'value'; the value ends at a quote, a space or
# a separator.
_KEY_VALUE = re.compile(
    r"""(?P<key>["']?(?P<name>[A-Za-z_][\w.-]*)["']?\s*[:=]\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|[^\s,;&}\])]+)"""
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Dates, times, IPv4 addresses and an access log's status and size look like phone numbers to
# the pattern after them: the alternation keeps them whole. A phone number: 7 to 15 digits,
# with +, %2B (a + in a URL) or ( in front and spaces, dots, dashes, slashes or parentheses
# between, not inside a word or a reference like HT-2026-000123.
_PHONE_OR_LOOKALIKE = re.compile(
    r"(?P<keep>\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?"
    r"|(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w.])"
    # An access-log line's status and size: "GET / HTTP/1.1" 200 5120
    r'|(?<=" )[1-5]\d\d \d+(?!\S))'
    r"|(?P<phone>(?<![\w+\-])(?:\+|%2[Bb]|\(\s*)?\d(?:[ ().\-/]{0,3}\d){6,14}(?![\w-]))"
)
# PostgreSQL's DETAIL lines quote the offending values.
_POSTGRES_DETAIL = re.compile(r"(?P<head>\)=\(|Failing row contains \().*(?P<tail>\))")


_EXCEPTION_NAME = re.compile(r"(?:Error|Exception|Warning)$")


def is_sensitive_key(key):
    return (
        isinstance(key, str)
        and _SENSITIVE_KEY.search(key) is not None
        and _EXCEPTION_NAME.search(key) is None
    )


def mask_structure(value, depth=0, harmless=frozenset()):
    """A copy of `value` with the values under sensitive keys masked, at any depth; the keys
    in `harmless` are left alone at the top level."""
    if depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            key: MASK
            if is_sensitive_key(key) and key not in harmless
            else mask_structure(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set):
        return type(value)(mask_structure(item, depth + 1) for item in value)
    return value


def _mask_key_values(text):
    # Scanned by hand: after a harmless key the search resumes inside its value, which may
    # hold a sensitive pair itself ("failed: password=...").
    parts = []
    position = 0
    while (match := _KEY_VALUE.search(text, position)) is not None:
        if is_sensitive_key(match["name"]):
            parts.append(text[position : match.start()] + match["key"] + MASK)
            position = match.end()
        else:
            parts.append(text[position : match.end("key")])
            position = match.end("key")
    parts.append(text[position:])
    return "".join(parts)


def _mask_phone(match):
    return match[0] if match["keep"] else PHONE_MASK


def mask_text(text):
    """`text` with sensitive values, e-mail addresses and phone numbers masked."""
    text = _POSTGRES_DETAIL.sub(lambda m: m["head"] + MASK + m["tail"], text)
    text = _mask_key_values(text)
    text = _EMAIL.sub(EMAIL_MASK, text)
    return _PHONE_OR_LOOKALIKE.sub(_mask_phone, text)


class MaskPersonalData(logging.Filter):
    """Masks personal data in a record's message, arguments, traceback and stack. The message
    is formatted here, with its arguments masked, and replaces them, so that no handler or
    formatter later sees the originals. Never drops a record."""

    # Keys of a logger's own message arguments that hold no personal data, by logger prefix:
    # Celery's "Task %(name)s[%(id)s] received" names the task.
    HARMLESS_ARGUMENTS = {"celery.": frozenset({"name"})}

    def filter(self, record):
        try:
            args = record.args
            if isinstance(args, Mapping):
                harmless = next(
                    (
                        keys
                        for prefix, keys in self.HARMLESS_ARGUMENTS.items()
                        if record.name.startswith(prefix)
                    ),
                    frozenset(),
                )
                args = mask_structure(args, harmless=harmless)
            elif isinstance(args, tuple):
                args = tuple(mask_structure(arg) for arg in args)
            msg = record.msg
            if not isinstance(msg, str):
                msg = str(mask_structure(msg))
            record.msg = mask_text(msg % args if args else msg)
            record.args = ()
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = mask_text(record.exc_text)
            if record.stack_info:
                record.stack_info = mask_text(record.stack_info)
        except Exception:
            record.msg = f"[log message withheld: it could not be masked] ({record.name})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


class NoPersonalDataReporterFilter(SafeExceptionReporterFilter):
    """Error reports with DEBUG off show no form data and no local variables at all: both can
    hold what a caller told the hotline. (Django's default hides only passwords and settings.)
    With DEBUG on, the developer's error page shows them as usual."""

    def get_post_parameters(self, request):
        if request is None:
            return {}
        if not self.is_active(request):
            return request.POST
        return {key: self.cleansed_substitute for key in request.POST}

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
