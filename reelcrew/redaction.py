"""The one scrubber: every string bound for the run store, a transcript, a log or the
terminal passes ``scrub`` first.

It knows every secret value the process holds:

- credentials in the environment, found by name (any variable whose name says KEY,
  SECRET, TOKEN, PASSWORD, PASSWD, PASSPHRASE, SESSION, CREDENTIAL, AUTH, COOKIE,
  PRIVATE, JWT or SIG, plus the variables ReelCrew's own clients read), whatever
  their length from 4 characters up;
- values obtained at run time (OAuth access and refresh tokens, signed JWTs), which
  the code that obtains them hands to ``register_secret`` before using them.

A value is also matched in the forms it takes inside JSON strings and URLs, so an
echoed key is caught whether it came back raw, JSON-escaped or percent-encoded.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
from urllib.parse import quote, quote_plus

MASK = "***"
MIN_SECRET_LEN = 4
_SECRET_NAME = re.compile(
    r"(KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|SESSION|CREDENTIAL|COOKIE|PRIVATE|JWT"
    r"|AUTH(?!OR(?!IZ))|(?<![A-Z])SIG(?:NATURE)?(?![A-Z])|(?<![A-Z])PWD(?![A-Z]))",
    re.IGNORECASE,
)
# PWD/OLDPWD are the working directory and AUTHOR a person's name, not secrets
_NOT_SECRET_EXACT = {"PWD", "OLDPWD"}
# variables ReelCrew's clients read whose names do not say they are secret
_KNOWN_SECRET_VARS = {"INSTAGRAM_USER_ID", "YOUTUBE_CLIENT_ID", "KLING_ACCESS_KEY", "TIKTOK_CLIENT_KEY"}
_NOT_SECRET_VARS = {"CREW_BRAIN", "CREW_FAULTS", "CREW_HOME", "CREW_CONVERSATIONS_DIR", "CREW_RENDER_SCALE",
                    "CREW_COORDINATION", "CREW_PROVIDER_POLL_S", "CREW_DEBUG", "PYTEST_CURRENT_TEST",
                    "SSH_AUTH_SOCK", "XDG_SESSION_ID", "XDG_SESSION_TYPE", "XDG_SESSION_CLASS",
                    "DBUS_SESSION_BUS_ADDRESS", "SESSION_MANAGER", "KEYTIMEOUT"}

_lock = threading.Lock()
_registered: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret obtained at run time (an access token, a signed JWT) so every sink hides it."""
    if value and len(value) >= MIN_SECRET_LEN:
        with _lock:
            _registered.add(value)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    upper = name.upper()
    if upper in _NOT_SECRET_VARS or upper in _NOT_SECRET_EXACT:
        return False
    return upper in _KNOWN_SECRET_VARS or bool(_SECRET_NAME.search(upper))


# (the environment as it was, how many values were registered, the answer): every string bound for the store
# is scrubbed, so reading and matching the whole environment each time cost the autopilot seconds of CPU a
# video (benchmarks/portfolio.py); the answer is reused while neither the environment nor the registry changed
_known: tuple[tuple, int, list[str], frozenset[str]] | None = None


def _environment() -> tuple:
    raw = getattr(os.environ, "_data", None)  # CPython's encoded copy: a cheap snapshot, no decoding
    return tuple(raw.items()) if isinstance(raw, dict) else tuple(os.environ.items())


def _current() -> tuple[tuple, int, list[str], frozenset[str]]:
    """The secrets this process holds now and every form they take, recomputed only when the environment or
    the registry changed."""
    global _known
    env = _environment()
    with _lock:
        registered = len(_registered)  # the registry only grows: its size says whether it changed
        cached = _known
        if cached is not None and cached[1] == registered and cached[0] == env:
            return cached
        values = set(_registered)
    values |= {v for n, v in os.environ.items() if v and len(v) >= MIN_SECRET_LEN and is_secret_name(n)}
    answer = sorted(values, key=len, reverse=True)
    forms = frozenset(form for value in answer for form in _forms(value))
    current = (env, registered, answer, forms)
    with _lock:
        _known = current
    return current


def known_secrets() -> list[str]:
    """Every secret value this process holds, longest first (so a secret inside another is masked whole)."""
    return list(_current()[2])


def _known_forms() -> frozenset[str]:
    return _current()[3]


def secret_forms() -> frozenset[str]:
    """Every form of every secret known now: text scrubbed while this is unchanged needs no scrubbing again."""
    return _current()[3]


_forms_cache: dict[str, set[str]] = {}


def _forms(value: str) -> set[str]:
    cached = _forms_cache.get(value)
    if cached is not None:
        return cached
    forms = {value, json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1],
             quote(value, safe=""), quote_plus(value)}
    result = {f for f in forms if len(f) >= MIN_SECRET_LEN}
    _forms_cache[value] = result
    return result


def scrub(text: str) -> str:
    """``text`` with every known secret (in any of its encoded forms) replaced by ***.

    All forms of all secrets are replaced in one pass, longest first, so where two
    secrets overlap (one inside the other, or sharing characters) the longer is masked
    whole and no fragment of either is left behind."""
    if not text or not isinstance(text, str):
        return text
    return _scrub_with(text, _known_forms())


def _scrub_with(text: str, forms: frozenset[str]) -> str:
    present = sorted((f for f in forms if f in text), key=len, reverse=True)
    if not present:
        return text
    # mask every span any secret covers (overlaps merge), then emit the text with masks
    covered = [False] * len(text)
    for form in present:
        start = text.find(form)
        while start != -1:
            for i in range(start, start + len(form)):
                covered[i] = True
            start = text.find(form, start + 1)
    out, i = [], 0
    while i < len(text):
        if covered[i]:
            while i < len(text) and covered[i]:
                i += 1
            out.append(MASK)
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def scrub_obj(value: object) -> object:
    """Scrub every string inside a JSON-like value (dicts, lists, tuples). The secrets are looked up once for
    the whole value, not once per string (a transcript holds tens of thousands of strings)."""
    if isinstance(value, str):
        return scrub(value)
    if not isinstance(value, (dict, list, tuple)):
        return value
    forms = _known_forms()
    if not forms:
        return _copy_obj(value)
    return _scrub_obj_with(value, forms)


def _scrub_obj_with(value: object, forms: frozenset[str]) -> object:
    if isinstance(value, str):
        return _scrub_with(value, forms) if value else value
    if isinstance(value, dict):
        return {_scrub_with(k, forms) if isinstance(k, str) and k else k: _scrub_obj_with(v, forms)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_scrub_obj_with(v, forms) for v in value)
    return value


def _copy_obj(value: object) -> object:
    """The same structure as ``scrub_obj`` returns when there is nothing to mask (fresh dicts and lists)."""
    if isinstance(value, dict):
        return {k: _copy_obj(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_obj(v) for v in value)
    return value


# -- logging: one filter, installed once ------------------------------------------
class ScrubFilter(logging.Filter):
    """Scrubs a log record's message, arguments and traceback text in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_reelcrew_scrubbed", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep the raw template
            message = str(record.msg)
        record.msg, record.args = scrub(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        record._reelcrew_scrubbed = True
        return True


_installed = False


def install_log_scrubbing() -> None:
    """Every log record from any logger (ours, httpx, autogen) is scrubbed when it is made,
    and the root handlers carry the filter too. Safe to call more than once."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    scrub_filter = ScrubFilter()
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        scrub_filter.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        handler.addFilter(scrub_filter)
