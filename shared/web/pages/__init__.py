"""Server-rendered pages on a service's app: sessions, CSRF, language, error pages, sign-in."""
