"""Asking for the web links that bodies cite: httpx, asynchronous, bounded, and never towards a
private address unless told so.

- **Bounded**: at most ``concurrency`` links at once, at most ``per_host`` at once to one host and
  port (politeness: a kabupaten's web server is not a load test), each link with a total time limit
  (``timeout`` seconds for everything: connecting, every redirect, the whole body), redirects
  followed one by one up to ``max_redirects`` (a loop, or more, is ``redirect_loop``).
- **Private addresses**: every connection goes through :class:`GuardedBackend`, which resolves the
  host itself, refuses when *any* address it resolves to is not a public Internet address (private,
  loopback, link-local, multicast, reserved; IPv4 inside IPv6 judged by its IPv4 address) and then
  connects to the very address it checked (no second lookup a DNS answer could change in between).
  Redirects open new connections through the same check. No proxy and no ``.netrc`` are used
  (``trust_env`` off). ``allow_private`` lifts the address check (the tests use it for 127.0.0.1).
- **Streamed**: a body is read in chunks, each hashed (SHA-256) and, with an archive, written to a
  temporary file; only the first :data:`HEAD_BYTES` are kept in memory (to tell a PDF from an HTML
  page or a login form). A declared size above ``max_bytes`` is refused before reading; a body that
  grows past it is cut off (``too_large``). Content encodings are decoded here with a bounded
  output per step (a compressed bomb cannot expand in memory); ``Accept-Encoding: identity`` is
  asked for.

The result of each link is a :class:`FetchResult`; nothing here raises for a bad link.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import ssl
import tempfile
import zlib
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from ..core.version import __version__
from .evidence_refs import classify, public_address

HEAD_BYTES = 64 * 1024
POOL_SIZE = 8  # connections per httpcore pool (see GuardedTransport)
CHUNK = 64 * 1024
REDIRECTS = (301, 302, 303, 307, 308)
PDF_TYPES = {"application/pdf", "application/x-pdf", "application/acrobat", "applications/vnd.pdf", "text/pdf",
             "text/x-pdf"}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/force-download",
                 "application/download", "application/x-download", "application/binary", "application/unknown"}
_PASSWORD_FIELD = re.compile(rb"<input[^>]{0,400}?type\s*=\s*[\"']?password", re.IGNORECASE)
_LOGIN_PATH = re.compile(r"(^|/)(login|log-in|signin|sign-in|sign_in|masuk|auth|sso|servicelogin|wp-login\.php|"
                         r"accounts)(/|$|\?|\.)", re.IGNORECASE)
HEADERS = {"User-Agent": f"kiprank/{__version__} (evidence check)", "Accept": "*/*", "Accept-Encoding": "identity"}
_MAGIC = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
          (b"PK\x03\x04", "zip"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"))


class BlockedAddress(Exception):
    """A connection that would go to a private, loopback or otherwise non-public address."""

    def __init__(self, host: str, address: str):
        super().__init__(f"{host} resolves to {address}, a private or loopback address: not asked for")
        self.host, self.address = host, address


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the address check of the module docstring."""

    def __init__(self, allow_private: bool = False):
        self.inner = httpcore.AnyIOBackend()
        self.allow_private = allow_private
        self.connections = 0

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        import anyio

        try:
            with anyio.fail_after(timeout):
                infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"looking up {host} took too long") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"host {host} not found ({exc.strerror or exc})") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self.allow_private:
            for address in addresses:
                if not public_address(address):
                    raise BlockedAddress(host, address)
        last: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                stream = await self.inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                      socket_options=socket_options)
                self.connections += 1
                return stream
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise BlockedAddress(path, "a local socket")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: httpcore.Response, done):
        self.response, self.done = response, done

    async def __aiter__(self):
        async for chunk in self.response.aiter_stream():
            yield chunk

    async def aclose(self) -> None:
        try:
            await self.response.aclose()
        finally:
            self.done()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over httpcore connection pools whose every connection passes
    :class:`GuardedBackend` (httpx's own transport does not take a network backend).

    The ``connections`` are spread over pools of at most :data:`POOL_SIZE`, and each request goes
    to the pool with the fewest requests under way: httpcore's pool looks over all its connections
    several times for every request that starts or ends (a cost that grows with the square of the
    pool's size; 50 connections to one host spent most of the check there)."""

    def __init__(self, backend: GuardedBackend, connections: int):
        context = ssl.create_default_context(cafile=_ca_file())
        count = -(-connections // POOL_SIZE)
        size = -(-connections // count)
        self.pools = [httpcore.AsyncConnectionPool(ssl_context=context, max_connections=size,
                                                   max_keepalive_connections=size, keepalive_expiry=5.0,
                                                   http1=True, http2=False, network_backend=backend)
                      for _ in range(count)]
        self.busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(method=request.method, url=httpcore.URL(
            scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port,
            target=request.url.raw_path), headers=request.headers.raw, content=request.stream,
            extensions=request.extensions)
        k = min(range(len(self.pools)), key=self.busy.__getitem__)
        self.busy[k] += 1
        try:
            response = await self.pools[k].handle_async_request(core)
        except BaseException:
            self.busy[k] -= 1
            raise

        ended = []

        def done() -> None:  # once, however often the body is closed
            if not ended:
                ended.append(True)
                self.busy[k] -= 1

        return httpx.Response(status_code=response.status, headers=response.headers,
                              stream=_Body(response, done), extensions=response.extensions)

    async def aclose(self) -> None:
        for pool in self.pools:
            await pool.aclose()


def _ca_file() -> str | None:
    try:
        import certifi

        return certifi.where()
    except ImportError:  # pragma: no cover - httpx depends on certifi
        return None


@dataclass
class FetchOptions:
    """How links are asked for (see the module docstring)."""

    timeout: float = 20.0
    concurrency: int = 10
    per_host: int = 2
    max_bytes: int = 2 * 1024 * 1024
    max_redirects: int = 10
    allow_private: bool = False


@dataclass
class FetchResult:
    """What asking for one link gave. ``status`` is one of ok, not_found, server_error, timeout,
    unreachable, redirect_loop, too_large, not_pdf, login_required, private_address, invalid_url,
    unsafe_url; ``size`` and ``sha256`` only when the whole body was read; ``kept``: the archive
    file (relative to the archive folder) holding it, or ""."""

    status: str
    detail: str = ""
    http_status: int | None = None
    content_type: str = ""
    size: int | None = None
    sha256: str = ""
    final_url: str = ""
    kept: str = ""
    checked_at: str = ""


def sniff(head: bytes) -> str:
    """What the first bytes of a document are: ``pdf``, ``html``, ``png``, ``jpg``, ``gif``, ``zip``
    (also .docx/.xlsx), ``ole`` (.doc/.xls), ``text`` or ``other``."""
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    start = head[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script", b"<meta", b"<title")) \
            or b"<html" in start[:1024]:
        return "html"
    if start.startswith(b"<"):
        return "html" if b"<form" in head.lower() else "text"
    try:
        head[:1024].decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "other"


def login_page(head: bytes, url: str, kind: str) -> bool:
    """An HTML page asking for a password, or one a redirect led to under a login path."""
    if kind != "html":
        return False
    parts = urlsplit(url)
    return bool(_PASSWORD_FIELD.search(head)) or bool(_LOGIN_PATH.search(parts.path)) \
        or parts.hostname is not None and parts.hostname.startswith(("accounts.", "login.", "sso."))


def archive_suffix(kind: str) -> str:
    """File name suffix of an archived document: by its content, never by what a server claimed
    (an HTML page is kept as text, so opening it runs nothing)."""
    return {"pdf": ".pdf", "png": ".png", "jpg": ".jpg", "gif": ".gif", "html": ".html.txt",
            "text": ".txt"}.get(kind, ".bin")


class Archive:
    """Content-addressed storage of what was read: ``<sha256><suffix>`` in ``folder``, each document
    once, at most ``cap_bytes`` in all (a document that would pass the cap is not kept)."""

    def __init__(self, folder: Path, cap_bytes: int):
        self.folder = Path(folder)
        self.cap = cap_bytes
        self.used = 0
        self.names: dict[str, str] = {}
        self.refused = 0

    def incoming(self):
        """A new temporary file (handle, path) inside the archive folder (same file system)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, path = tempfile.mkstemp(prefix=".incoming-", dir=self.folder)
        return os.fdopen(handle, "wb"), Path(path)

    def keep(self, temp: Path, sha256: str, suffix: str, size: int) -> str:
        """Move ``temp`` to its content address (or drop it when that document is already kept, or
        the archive is full); the name kept, or ""."""
        if sha256 in self.names:
            temp.unlink(missing_ok=True)
            return self.names[sha256]
        if self.used + size > self.cap:
            temp.unlink(missing_ok=True)
            self.refused += 1
            return ""
        name = sha256 + suffix
        os.replace(temp, self.folder / name)
        self.used += size
        self.names[sha256] = name
        return name


class _Decoder:
    """Content-Encoding gzip/deflate decoded with a bounded output per step."""

    def __init__(self, encoding: str):
        encoding = encoding.strip().lower()
        self.active = encoding in ("gzip", "x-gzip", "deflate")
        self.unknown = encoding not in ("", "identity") and not self.active
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self.obj = zlib.decompressobj(wbits) if self.active else None
        self.first = True
        self.encoding = encoding

    def feed(self, data: bytes):
        if not self.active:
            yield data
            return
        if self.first and self.encoding == "deflate":
            self.first = False
            try:  # some servers send raw deflate without the zlib header
                zlib.decompressobj().decompress(data[:64])
            except zlib.error:
                self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
        while data:
            out = self.obj.decompress(data, CHUNK)
            if out:
                yield out
            data = self.obj.unconsumed_tail


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Checker:
    """Asks for many links with one client (see :func:`fetch_all`)."""

    def __init__(self, options: FetchOptions, archive: Archive | None = None):
        self.o = options
        self.archive = archive
        self.backend = GuardedBackend(options.allow_private)
        self.hosts: dict[tuple[str, int | None], asyncio.Semaphore] = {}
        self.slots = asyncio.Semaphore(options.concurrency)

    def _host(self, url: str) -> asyncio.Semaphore:
        parts = urlsplit(url)
        key = (parts.hostname or "", parts.port)
        if key not in self.hosts:
            self.hosts[key] = asyncio.Semaphore(self.o.per_host)
        return self.hosts[key]

    async def run(self, jobs: dict[str, str], on_progress=None) -> dict[str, FetchResult]:
        transport = GuardedTransport(self.backend, max(self.o.concurrency, 1))
        results: dict[str, FetchResult] = {}
        done = 0

        async def one(url: str, expected: str):
            nonlocal done
            async with self.slots:
                results[url] = await self.check(transport, url, expected)
            done += 1
            if on_progress:
                on_progress(done, len(jobs))

        try:
            await asyncio.gather(*(one(url, expected) for url, expected in jobs.items()))
        finally:
            await transport.aclose()
        return results

    async def check(self, transport: GuardedTransport, url: str, expected: str) -> FetchResult:
        try:
            async with asyncio.timeout(self.o.timeout):
                result = await self._follow(transport, url, expected)
        except TimeoutError:
            result = FetchResult("timeout", f"no complete answer within {self.o.timeout:g} s")
        except BlockedAddress as exc:
            result = FetchResult("private_address", str(exc))
        except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
            result = FetchResult("timeout", f"{type(exc).__name__}: {_first(exc)}")
        except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol,
                ssl.SSLError, OSError, UnicodeError, ValueError) as exc:
            result = FetchResult("unreachable", f"{type(exc).__name__}: {_first(exc)}")
        if not result.checked_at:
            result = replace(result, checked_at=_now())
        return result

    async def _follow(self, transport: GuardedTransport, url: str, expected: str) -> FetchResult:
        """Each redirect by hand (httpx's client would build the next request from any Location,
        ``javascript:`` included): every target is classified like a cited link first."""
        seen = [url]
        current = url
        timeout = httpx.Timeout(self.o.timeout).as_dict()
        for _ in range(self.o.max_redirects + 1):
            async with self._host(current):
                request = httpx.Request("GET", current, headers=HEADERS, extensions={"timeout": timeout})
                response = await transport.handle_async_request(request)
                try:
                    location = response.headers.get("location") if response.status_code in REDIRECTS else None
                    if location is None:
                        return await self._read(response, current, expected)
                finally:
                    await response.aclose()
            target = classify(urljoin(current, location.strip()), self.o.allow_private)
            if target.status or not target.target:
                return FetchResult(target.status or "invalid_url", f"redirected to {target.shown[:200]}: "
                                   f"{target.detail}", response.status_code, final_url=target.shown[:2000])
            if target.target in seen:
                return FetchResult("redirect_loop", f"the redirects lead back to {target.target[:200]} "
                                   f"after {len(seen)} step(s)", response.status_code, final_url=target.target)
            seen.append(target.target)
            current = target.target
        return FetchResult("redirect_loop", f"more than {self.o.max_redirects} redirects", final_url=current)

    async def _read(self, response: httpx.Response, url: str, expected: str) -> FetchResult:
        code = response.status_code
        ctype = response.headers.get("content-type", "")
        declared = ctype.split(";", 1)[0].strip().lower()
        base = FetchResult("ok", "", code, ctype[:200], final_url=url)
        if code in (401, 407):
            return replace(base, status="login_required", detail=f"HTTP {code}: the server asks for a login")
        if 400 <= code < 500:
            return replace(base, status="not_found", detail=f"HTTP {code}")
        if code >= 500:
            return replace(base, status="server_error", detail=f"HTTP {code}")
        if not 200 <= code < 300:
            return replace(base, status="not_found", detail=f"HTTP {code} without a document")
        length = response.headers.get("content-length", "")
        limit = self.o.max_bytes
        if length.strip().isdigit() and int(length) > limit:
            return replace(base, status="too_large", size=int(length),
                           detail=f"{_mb(int(length))} declared; at most {_mb(limit)}")
        decoder = _Decoder(response.headers.get("content-encoding", ""))
        doc = Reading(limit, self.archive)
        try:
            async for raw in response.aiter_raw(CHUNK):
                for chunk in decoder.feed(raw):
                    if not doc.feed(chunk):
                        return replace(base, status="too_large", detail=f"more than {_mb(limit)} (reading stopped)")
            head = bytes(doc.head)
            kind = sniff(head)
            result = replace(base, size=doc.size, sha256=doc.hasher.hexdigest())
            if decoder.unknown:
                result.detail = f"content encoding '{decoder.encoding}' not decoded: size and hash are of the bytes sent"
            if login_page(head, url, kind):
                result.status, result.detail = "login_required", "an HTML page asking to log in"
            elif expected == "pdf" and (kind != "pdf" or (declared not in PDF_TYPES and declared not in GENERIC_TYPES)):
                result.status = "not_pdf"
                result.detail = (f"declared {declared or 'no type'}, content {_kind_words(kind)}" if kind != "pdf"
                                 else f"a PDF declared as {declared}")
            result.kept = doc.keep(kind)
            return result
        finally:
            doc.discard()


class Reading:
    """One document read in chunks: each chunk counted, hashed (SHA-256) and, with an archive,
    written to a temporary file in it; only the first :data:`HEAD_BYTES` are kept in memory.
    :meth:`feed` says False once the document is larger than ``limit`` (reading stops there)."""

    def __init__(self, limit: int, archive: Archive | None = None):
        self.limit, self.archive = limit, archive
        self.hasher, self.size, self.head = hashlib.sha256(), 0, bytearray()
        self.sink, self.temp = archive.incoming() if archive is not None else (None, None)

    def feed(self, chunk: bytes) -> bool:
        self.size += len(chunk)
        if self.size > self.limit:
            return False
        self.hasher.update(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[:HEAD_BYTES - len(self.head)]
        if self.sink is not None:
            self.sink.write(chunk)
        return True

    def keep(self, kind: str) -> str:
        """Move the document read into the archive under its hash (see :meth:`Archive.keep`); ""
        without an archive."""
        if self.temp is None:
            return ""
        self.sink.close()
        temp, self.temp = self.temp, None
        return self.archive.keep(temp, self.hasher.hexdigest(), archive_suffix(kind), self.size)

    def discard(self) -> None:
        """Close and remove what was not kept (a document cut off, an error)."""
        if self.sink is not None and not self.sink.closed:
            self.sink.close()
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


def _kind_words(kind: str) -> str:
    return {"pdf": "a PDF", "html": "an HTML page", "zip": "a zip file (e.g. .docx, .xlsx)",
            "ole": "an old Office file (.doc, .xls)", "text": "text", "other": "of another type"}.get(kind, f"a {kind} image")


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def _first(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else "no message"


def fetch_all(jobs: dict[str, str], options: FetchOptions, archive: Archive | None = None,
              on_progress=None) -> dict[str, FetchResult]:
    """Ask for every URL of ``jobs`` (URL -> expected type, ``pdf`` or ``any``) as the module
    docstring says; each URL once. Returns URL -> :class:`FetchResult`."""
    if not jobs:
        return {}

    async def main():
        return await Checker(options, archive).run(jobs, on_progress)

    results = asyncio.run(main())
    for result in results.values():
        result.detail = result.detail[:500]
    return results


__all__ = ["FetchOptions", "FetchResult", "Archive", "Reading", "GuardedBackend", "GuardedTransport", "BlockedAddress",
           "fetch_all", "sniff", "login_page", "archive_suffix"]
