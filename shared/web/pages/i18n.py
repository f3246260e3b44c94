"""Language and time on pages: zh-CN unless the browser or the user asks for English."""

from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, request, session
from flask_babel import Babel, format_datetime

LANGUAGES = {"zh-CN": "zh_Hans_CN", "en": "en"}  # <html lang> → the catalog (Babel: zh_Hans_CN)
DEFAULT_LANGUAGE = "zh-CN"
SHARED_TRANSLATIONS = Path(__file__).with_name("translations")


def page_language() -> str:
    """?lang= (remembered in the session), else the session's choice, else Accept-Language."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"], DEFAULT_LANGUAGE)
    return "en" if best == "en" else DEFAULT_LANGUAGE


def language_url(language: str) -> str:
    """This page again in `language`."""
    query = {k: v for k, v in request.args.items() if k != "lang"}
    query["lang"] = language
    return f"{request.path}?{urlencode(query)}"


def init_i18n(app: Flask, timezone: str, catalogs: tuple[Path, ...]) -> None:
    """Flask-Babel with the shared catalog and the area's; times shown in WARDEN_TIMEZONE."""
    directories = [str(SHARED_TRANSLATIONS), *(str(path) for path in catalogs)]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(directories)
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    Babel(app, locale_selector=lambda: LANGUAGES[page_language()])
    zone = ZoneInfo(timezone)

    def local_time(value: str | datetime | None, pattern: str = "yyyy-MM-dd HH:mm") -> str:
        """An RFC 3339 UTC instant as the branch's wall-clock time."""
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return format_datetime(moment.astimezone(zone), pattern)

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals.update(
        page_language=page_language, language_url=language_url, timezone_name=timezone
    )
