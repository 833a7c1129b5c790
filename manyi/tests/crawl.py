"""Helpers of the authorisation matrix and the CSRF test: walk the URL patterns, crawl the pages
a user reaches, and find the forms and htmx requests that write."""

from __future__ import annotations

import html
import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

# Not crawled: static files, Django's admin (superusers only, its own tests), the language
# switch and logout (POST only), the API docs page.
SKIP_PREFIXES = ("/static/", "/admin/", "/i18n/", "/logout/", "/api/docs", "/api/openapi")
_LINK = re.compile(r'\b(href|hx-get)="([^"]*)"')
_FORM = re.compile(r"<form\b([^>]*)>", re.I)
_WRITE = re.compile(r'\bhx-(post|put|patch|delete)="([^"]*)"')
_ATTR = re.compile(r'\b(method|action)="([^"]*)"', re.I)
# A script element with a body (not ``src``, not JSON data) is inline script.
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
_INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def url_patterns() -> list[tuple[str, str]]:
    """Every named URL pattern as (qualified name, route), walking the resolver tree."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern) and p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                found.append((name, prefix + str(p.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


def url_name(path: str) -> str | None:
    """The qualified URL name a path resolves to, or None."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def _local(base: str, url: str) -> str | None:
    url = html.unescape(url.strip())
    if not url or url.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    if url.startswith("?"):
        return urlsplit(base).path + url
    if not url.startswith("/") or url.startswith("//"):
        return None
    url = url.split("#", 1)[0]
    if url.startswith(SKIP_PREFIXES):
        return None
    return url


def links(base: str, body: str) -> list[str]:
    """Local links (href, hx-get) on a page."""
    out = []
    for _attr, value in _LINK.findall(body):
        url = _local(base, value)
        if url:
            out.append(url)
    return out


def write_targets(base: str, body: str) -> list[str]:
    """Local URLs a page posts to: forms with method=post, hx-post/put/patch/delete."""
    out = []
    for attrs in _FORM.findall(body):
        values = {k.lower(): v for k, v in _ATTR.findall(attrs)}
        if values.get("method", "get").lower() != "post":
            continue
        url = _local(base, values.get("action") or base)
        if url:
            out.append(url)
    for _verb, value in _WRITE.findall(body):
        url = _local(base, value)
        if url:
            out.append(url)
    return out


def inline_scripts(body: str) -> list[str]:
    """Inline script the Content-Security-Policy would block: script bodies, on*= handlers."""
    bad = []
    for attrs, content in _SCRIPT.findall(body):
        if "src=" in attrs or "application/json" in attrs:
            continue
        if content.strip():
            bad.append(content.strip()[:80])
    bad.extend(m.group(0)[:80] for m in _INLINE_HANDLER.finditer(body))
    return bad


@dataclass
class Crawl:
    """What one user reached: pages (one or two per URL name) and the URLs pages post to."""

    pages: dict[str, list[str]] = field(default_factory=dict)  # url name → paths
    writes: set[str] = field(default_factory=set)
    statuses: dict[str, int] = field(default_factory=dict)

    def paths(self) -> list[str]:
        return [p for paths in self.pages.values() for p in paths]


def crawl(client, start: list[str], *, per_name: int = 2, limit: int = 600) -> Crawl:
    """Breadth-first GET crawl from ``start`` following local links, at most ``per_name``
    distinct paths per URL name (lists with other filters are the same view)."""
    result = Crawl()
    queue = deque(start)
    seen: set[str] = set()
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        name = url_name(path)
        if name is None:
            continue
        taken = result.pages.setdefault(name, [])
        if len(taken) >= per_name:
            continue
        seen.add(path)
        taken.append(path)
        response = client.get(path)
        result.statuses[path] = response.status_code
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        body = response.content.decode()
        queue.extend(links(path, body))
        result.writes.update(write_targets(path, body))
    return result
