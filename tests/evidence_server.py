"""A local web server for the evidence check's tests and benchmark: 127.0.0.1 on a free port, in a
thread, bounded (it stops by itself after ``max_seconds``; a request that never gets an answer is
released when the server stops), counting every connection it accepts.

Paths (``/gen/...`` documents are made on the fly, never stored):

==================  ===============================================================================
``/good.pdf``       a valid one-page PDF
``/copy-1.pdf``     one PDF under two URLs (``/copy-2.pdf``)
``/missing.pdf``    404
``/error.pdf``      500
``/big.pdf``        a 3 MB PDF with its Content-Length; ``/big-stream.pdf`` the same without it
``/page.pdf``       an HTML page named .pdf (text/html)
``/disguised.pdf``  an HTML page declared as application/pdf
``/loop-a``         redirects to ``/loop-b``, which redirects back
``/slow.pdf``       accepts and never answers
``/private.pdf``    redirects to ``/login?next=...``, an HTML page with a password field
``/auth.pdf``       401
``/locked.pdf``     a PDF that needs a password
``/to-js``          redirects to ``javascript:alert(1)``
``/redirect?to=U``  redirects to ``U``
``/gzip.pdf``       a PDF, gzip-encoded
``/other.pdf``      another PDF
``/gen/<n>.pdf``    a generated PDF-looking document of ``?mb=`` megabytes (default 0.01), sent after
                    ``?wait=`` seconds (default 0)
==================  ===============================================================================
"""

from __future__ import annotations

import gzip
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def make_pdf(text: str = "kiprank", password: str | None = None, pages: int = 1) -> bytes:
    """A small valid PDF (pikepdf), optionally needing ``password`` to open."""
    import pikepdf

    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    pdf.docinfo["/Title"] = text
    out = io.BytesIO()
    if password:
        pdf.save(out, encryption=pikepdf.Encryption(user=password, owner=password + "-owner"))
    else:
        pdf.save(out)
    return out.getvalue()


LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Masuk</title></head><body><form method='post'>"
              b"<input name='user'><input type=\"password\" name='pw'><button>Masuk</button></form></body></html>")
HTML_PAGE = b"<!DOCTYPE html><html><head><title>Dokumen</title></head><body><p>Halaman, bukan PDF</p></body></html>"
FILLER = bytes(range(256)) * 256  # 64 KiB, repeated to make generated documents


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "EvidenceServer"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, code: int, body: bytes = b"", ctype: str = "application/pdf", headers: dict | None = None,
              length: bool = True):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _redirect(self, where: str):
        self._send(302, b"", "text/html", {"Location": where})

    def do_GET(self):  # noqa: N802 (http.server's name)
        s = self.server
        path = urlsplit(self.path).path
        with s.lock:
            s.requests.append(self.path)
            s.active += 1
            s.most_active = max(s.most_active, s.active)
        try:
            self._answer(s, path)
        finally:
            with s.lock:
                s.active -= 1

    def _answer(self, s: "EvidenceServer", path: str):
        if path in ("/good.pdf", "/copy-1.pdf", "/copy-2.pdf"):
            self._send(200, s.good if path == "/good.pdf" else s.copy)
        elif path == "/missing.pdf":
            self._send(404, b"not found", "text/plain")
        elif path == "/error.pdf":
            self._send(500, b"server error", "text/plain")
        elif path == "/big.pdf":
            self._send(200, s.big)
        elif path == "/big-stream.pdf":
            self.send_response(200)
            self.send_header("Content-Type", "application/pdf")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for i in range(0, len(s.big), 65536):
                    self.wfile.write(s.big[i:i + 65536])
            except OSError:
                pass
            self.close_connection = True
        elif path == "/page.pdf":
            self._send(200, HTML_PAGE, "text/html; charset=utf-8")
        elif path == "/disguised.pdf":
            self._send(200, HTML_PAGE, "application/pdf")
        elif path == "/loop-a":
            self._redirect("/loop-b")
        elif path == "/loop-b":
            self._redirect("/loop-a")
        elif path == "/slow.pdf":
            s.stopping.wait(s.max_seconds)  # never answers while the server runs
            self.close_connection = True
        elif path == "/private.pdf":
            self._redirect("/login?next=/private.pdf")
        elif path == "/login":
            self._send(200, LOGIN_PAGE, "text/html")
        elif path == "/auth.pdf":
            self._send(401, b"login", "text/plain", {"WWW-Authenticate": 'Basic realm="ppid"'})
        elif path == "/locked.pdf":
            self._send(200, s.locked)
        elif path == "/redirect":
            self._redirect(parse_qs(urlsplit(self.path).query).get("to", ["/"])[0])
        elif path == "/to-js":
            self._redirect("javascript:alert(1)")
        elif path == "/gzip.pdf":
            self._send(200, gzip.compress(s.gz), headers={"Content-Encoding": "gzip"})
        elif path == "/other.pdf":
            self._send(200, s.other)
        elif path.startswith("/gen/"):
            self._generated(path, parse_qs(urlsplit(self.path).query))
        else:
            self._send(404, b"no such path", "text/plain")

    def _generated(self, path: str, query: dict):
        self.server.stopping.wait(float(query.get("wait", ["0"])[0]))
        size = int(float(query.get("mb", ["0.01"])[0]) * 1024 * 1024)
        head = f"%PDF-1.4\n% generated {path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        try:
            self.wfile.write(head[:size])
            sent = min(len(head), size)
            while sent < size:
                part = FILLER[: min(len(FILLER), size - sent)]
                self.wfile.write(part)
                sent += len(part)
        except OSError:
            self.close_connection = True


class EvidenceServer(ThreadingHTTPServer):
    """The server (``with EvidenceServer() as s: s.url("/good.pdf")``)."""

    daemon_threads = True
    request_queue_size = 256

    def __init__(self, max_seconds: float = 120.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.max_seconds = max_seconds
        self.lock = threading.Lock()
        self.requests: list[str] = []
        self.connections = 0
        self.active = self.most_active = 0  # requests being answered now, and the most at once
        self.stopping = threading.Event()
        self.good = make_pdf("good")
        self.copy = make_pdf("one PDF under two URLs")
        self.locked = make_pdf("locked", password="rahasia")
        self.gz = make_pdf("sent gzip-encoded")
        self.other = make_pdf("another document")
        self.big = b"%PDF-1.4\n" + FILLER * 48  # 3 MiB + 9 bytes
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._timer = threading.Timer(max_seconds, self.stop)
        self._timer.daemon = True

    def handle_error(self, request, client_address):  # a client that hung up: not the test's concern
        pass

    def process_request(self, request, client_address):
        with self.lock:
            self.connections += 1
        super().process_request(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> "EvidenceServer":
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        if not self.stopping.is_set():
            self.stopping.set()
            self.shutdown()
        self._timer.cancel()
        self.server_close()

    def __enter__(self) -> "EvidenceServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        started = time.monotonic()
        self.stop()
        self._thread.join(timeout=max(0.0, 5 - (time.monotonic() - started)))


def main(argv=None) -> None:
    """``python tests/evidence_server.py --ports N --seconds S``: N servers in this process (one per
    port), their ports printed on one line, serving until stdin closes or S seconds have passed
    (the benchmark runs them in a process of their own, apart from the checking client)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser()
    parser.add_argument("--ports", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=600)
    args = parser.parse_args(argv)
    servers = [EvidenceServer(max_seconds=args.seconds).start() for _ in range(args.ports)]
    print("PORTS " + " ".join(str(s.port) for s in servers), flush=True)
    watchdog = threading.Timer(args.seconds, lambda: sys.stdin.close())
    watchdog.daemon = True
    watchdog.start()
    try:
        sys.stdin.read()
    except (OSError, ValueError):
        pass
    sent = sum(1 for s in servers for _ in s.requests)
    for s in servers:
        s.stop()
    print(f"REQUESTS {sent}", flush=True)


if __name__ == "__main__":
    main()
