"""What a body cites as evidence, and what kind of reference each citation is.

A cell of the SAQ's ``evidence`` (``Bukti``) column may hold several references: they are split at
line breaks, at ``;`` followed by a space, and at spaces before a link (``https://``, ``www.``,
``javascript:`` ...). A URL may therefore contain spaces (``https://x.go.id/SK PPID.pdf``): it is
checked as a browser would ask for it (spaces and non-ASCII letters percent-encoded, the host name
in IDNA form).

Every reference is classified by its form alone, with no network and no file read
(:func:`classify`): a web link to check, a file name to look for among the files sent with the
returns, or something that is neither. Links that must never be opened (``javascript:``, ``data:``,
``file:``, a link carrying a user name or password, a host on a private or loopback address written
as such) and malformed ones (control characters, no host, a bad port, longer than
:data:`MAX_URL` characters) get their status here.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, urlsplit

MAX_URL = 2048           # what browsers and servers commonly accept; longer is refused unread
MAX_SHOWN = 300          # characters of a reference kept in messages and tables (the CSV keeps more)
MAX_KEPT = 2100          # characters of a reference written to evidence.csv
WEB_SCHEMES = ("http", "https")
UNSAFE_SCHEMES = frozenset({"javascript", "vbscript", "data", "file", "blob", "about", "filesystem", "jar",
                            "view-source", "chrome", "intent", "ms-msdt", "search-ms"})
OTHER_SCHEMES = frozenset({"mailto", "ftp", "ftps", "sftp", "tel", "sms", "smb", "ws", "wss", "ssh", "news",
                           "gopher", "ldap", "irc", "magnet", "market", "whatsapp", "tg"})
# Characters that change how text reads or is cut (controls, bidirectional overrides, zero widths).
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]{0,30}):")
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_LINK_START = r"(?:https?://|www\.|javascript:|data:|file:|ftp://|mailto:)"
_SPLIT = re.compile(r"[\r\n\u2028\u2029]+|;\s+|\s+(?=" + _LINK_START + ")", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"

#: The statuses a reference can get from its form alone.
FORM_STATUSES = ("invalid_url", "unsafe_url", "private_address", "file_missing", "unsafe_path", "unrecognised")


@dataclass(frozen=True)
class Ref:
    """One reference as cited: ``shown`` (the text, with any password masked), ``kind`` (``url``,
    ``file`` or ``text``), ``target`` (the URL to ask for, or the relative file path to look for;
    "" when there is nothing to check), ``status`` (set when the form alone decides, else "") and
    ``detail`` (why, in English)."""

    shown: str
    kind: str
    target: str = ""
    status: str = ""
    detail: str = ""


def split_cell(text) -> list[str]:
    """The references of one evidence cell (empty list for an empty cell)."""
    if text is None:
        return []
    text = str(text)
    if not text.strip() or text.strip().lower() in ("nan", "none"):
        return []
    out = []
    for part in _SPLIT.split(text):
        part = part.strip().strip("<>\"'\u201c\u201d\u2018\u2019").strip()
        part = part.rstrip(",;").strip()
        if part:
            out.append(part)
    return out


def short(text: str, n: int = MAX_SHOWN) -> str:
    """``text`` cut to ``n`` characters (with the length said), for tables and messages."""
    text = str(text)
    return text if len(text) <= n else f"{text[:n - 1]}\u2026 ({len(text):,} characters)"


def visible(text: str) -> str:
    """``text`` with control and invisible characters shown as ``\\uXXXX`` (never interpreted)."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _mask(parts) -> str:
    """The URL with its user name and password replaced (never written out or published)."""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc="***@" + host).geturl()


def public_address(address: str) -> bool:
    """True when ``address`` (an IP address as text) is a public Internet address: not private,
    loopback, link-local, multicast, reserved or unspecified; IPv4 inside IPv6 (mapped, 6to4,
    Teredo, NAT64) is judged by the IPv4 address it carries."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip.teredo is not None:
            ip = ip.teredo[1]
        elif ip in ipaddress.ip_network("64:ff9b::/96"):
            ip = ipaddress.ip_address(int(ip) & 0xFFFFFFFF)
    return bool(ip.is_global) and not ip.is_multicast


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        return False


def _ascii_host(host: str) -> str:
    """The host in the ASCII form DNS uses (IDNA for names with other letters); ValueError if it
    cannot be a host name."""
    import idna

    if _ip_literal(host):
        return host
    if any(c.isspace() for c in host) or any(c in host for c in "\\<>\"{}|^`"):
        raise ValueError("the host name holds a space or a character a host name cannot have")
    if host.isascii():
        labels = host.rstrip(".").split(".")
        if not all(re.fullmatch(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?", label) for label in labels):
            raise ValueError("the host name is not valid")
        return host.lower().rstrip(".")
    try:
        return idna.encode(host.rstrip("."), uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise ValueError(f"the host name is not a valid international name ({exc})") from None


def classify_url(text: str, allow_private: bool = False) -> Ref:
    """A reference written as a web link: the URL to ask for, or why it is not asked for."""
    shown = text
    if len(text) > MAX_URL:
        return Ref(short(text, MAX_KEPT), "url", "", "invalid_url",
                   f"the link is {len(text):,} characters long (at most {MAX_URL:,} are accepted)")
    if _INVISIBLE.search(text):
        return Ref(visible(text), "url", "", "invalid_url",
                   "the link holds control or invisible characters (a line break, a direction mark ...)")
    note = ""
    if text.lower().startswith("www."):
        text = "https://" + text
        note = "written without https://; checked as " + text
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if parts.username is not None or parts.password is not None:
            return Ref(_mask(parts), "url", "", "unsafe_url",
                       "the link holds a user name or password: it is never opened (and not repeated here)")
        host = parts.hostname or ""
        port = parts.port
    except ValueError as exc:
        return Ref(shown, "url", "", "invalid_url", f"the link cannot be read ({exc})")
    if scheme not in WEB_SCHEMES:
        return Ref(shown, "url", "", "invalid_url", f"not a web link ({scheme}:)")
    if not host:
        return Ref(shown, "url", "", "invalid_url", "the link has no host name")
    try:
        ascii_host = _ascii_host(host)
    except ValueError as exc:
        return Ref(shown, "url", "", "invalid_url", str(exc))
    if not allow_private:
        literal = _ip_literal(ascii_host)
        if (literal and not public_address(ascii_host)) or ascii_host == "localhost" or ascii_host.endswith(".localhost"):
            return Ref(shown, "url", "", "private_address",
                       f"{ascii_host} is a private or loopback address: not asked for")
    netloc = f"[{ascii_host}]" if ":" in ascii_host else ascii_host
    if port is not None:
        netloc += f":{port}"
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
    if not note and url != text.split("#", 1)[0]:
        note = f"checked as {short(url, 200)}"
    return Ref(shown, "url", url, "", note)


def classify_file(text: str) -> Ref:
    """A reference written as a file name: the relative path to look for among the files sent
    with the returns, or why it is not looked for."""
    if len(text) > 1024:
        return Ref(short(text, MAX_KEPT), "file", "", "file_missing", f"the file name is {len(text):,} characters long")
    if _INVISIBLE.search(text):
        return Ref(visible(text), "file", "", "file_missing", "the file name holds control or invisible characters")
    if _DRIVE.match(text) or text.startswith(("\\\\", "//")):
        return Ref(text, "file", "", "file_missing",
                   "a path on the sender's own computer: send the file itself with the returns")
    path = text.replace("\\", "/")
    if path.startswith("/"):
        return Ref(text, "file", "", "file_missing", "an absolute path: files are only looked for among the files "
                                                     "sent with the returns")
    parts = [p for p in PurePosixPath(path).parts if p not in ("", ".")]
    if ".." in parts:
        return Ref(text, "file", "", "unsafe_path", "the path leads out of the evidence folder ('..'): not read")
    if not parts or any(len(p.encode("utf-8")) > 255 for p in parts):
        return Ref(text, "file", "", "file_missing", "not a usable file name")
    return Ref(text, "file", "/".join(parts))


def classify(text: str, allow_private: bool = False) -> Ref:
    """Classify one reference by its form (see the module docstring)."""
    text = str(text).strip()
    if _DRIVE.match(text):
        return classify_file(text)
    match = _SCHEME.match(text)
    if text.lower().startswith("www.") or (match and match.group(1).lower() in WEB_SCHEMES):
        return classify_url(text, allow_private)
    if match:
        scheme = match.group(1).lower()
        if scheme in UNSAFE_SCHEMES:
            return Ref(short(visible(text)), "url", "", "unsafe_url", f"a {scheme}: link is never opened")
        if scheme in OTHER_SCHEMES or text[match.end():].startswith("//"):
            return Ref(short(visible(text)), "url", "", "invalid_url", f"not a web link ({scheme}:)")
    if "://" in text:
        return Ref(short(visible(text)), "text", "", "unrecognised", "a link inside other text: write the link alone")
    if "/" in text or "\\" in text or _FILE_NAME.search(text):
        return classify_file(text)
    return Ref(short(visible(text)), "text", "", "unrecognised", "neither a web link nor a file name")


__all__ = ["Ref", "split_cell", "classify", "classify_url", "classify_file", "public_address", "short",
           "visible", "MAX_URL", "FORM_STATUSES"]
