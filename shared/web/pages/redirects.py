"""Where a page may send someone after sign-in: only back inside its own area."""

from urllib.parse import unquote, urlsplit

MAX_NEXT_LENGTH = 2000


def safe_next(candidate: object, prefix: str) -> str | None:
    """A local path inside the area, or None: `next` must never send anyone off-site.

    Refuses absolute and scheme-relative URLs, backslashes and control characters (browsers
    turn `/\\evil` and `/\\t/evil` into `//evil`), dot segments (also percent-encoded, which
    browsers resolve) and paths outside `prefix`.
    """
    if not isinstance(candidate, str) or not candidate or len(candidate) > MAX_NEXT_LENGTH:
        return None
    if "\\" in candidate or any(ord(char) < 0x21 or ord(char) == 0x7F for char in candidate):
        return None
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith("//"):
        return None
    if any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        return None
    prefix = "/" + prefix.strip("/")
    if parts.path != prefix and not parts.path.startswith(prefix + "/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
