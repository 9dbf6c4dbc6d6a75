"""WhiteNoise, plus compression and caching for the default (DEBUG) mode.

In production collectstatic writes hashed, pre-compressed files (CompressedManifestStaticFilesStorage) and
WhiteNoise serves them gzipped with `max-age=315360000, immutable`; this class then changes nothing.

In the default mode WhiteNoise serves the apps' source files through the finders (no collectstatic, edits
show on reload), which it never compresses and sends with `max-age=0`: a map page cost ≈ 200 KB. Here each
compressible file gets a gzipped copy under VAR_DIR/static-gzip, made on first request and remade when the
file's size or modification time changes, so WhiteNoise negotiates it like a pre-compressed file
(`Vary: Accept-Encoding`, its own ETag). The names carry no hash, so only files that change with a
version (installed packages, static/vendor/) are cached for a day; the project's own files keep
`max-age=0` and are revalidated (ETag, 304), so an edit shows on the next reload.
"""

import gzip
import hashlib
import os
import re
import site
from pathlib import Path
from typing import Any
from wsgiref.headers import Headers

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware
from whitenoise.responders import MissingFileError, StaticFile

COMPRESSIBLE = re.compile(r"\.(css|js|mjs|json|map|svg|txt|html|xml|ico|ttf|otf|eot|md)$", re.IGNORECASE)
MIN_SIZE = 512  # smaller files gain less than the headers cost
VENDORED_MAX_AGE = 86400


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    def __init__(self, get_response: Any = None, settings: Any = settings) -> None:
        # Set before WhiteNoise's __init__, which may already add files (finders without autorefresh).
        debug_mode = getattr(settings, "WHITENOISE_USE_FINDERS", settings.DEBUG)
        self.compress_dir = Path(settings.VAR_DIR) / "static-gzip" if debug_mode else None
        # (path, mtime_ns, size) → the gzipped copy, or None when compressing does not pay.
        self._compressed: dict[tuple[str, int, int], str | None] = {}
        versioned: list[str | Path] = [*site.getsitepackages(), Path(settings.BASE_DIR) / "static" / "vendor"]
        self._versioned_roots = tuple(str(Path(p).resolve()) + os.sep for p in versioned)
        super().__init__(get_response, settings=settings)

    def get_static_file(self, path: str, url: str, stat_cache: dict | None = None) -> StaticFile:
        if self.compress_dir is None or not COMPRESSIBLE.search(path):
            return super().get_static_file(path, url, stat_cache)
        gzipped = self._gzipped(path)
        # WhiteNoise.get_static_file, with the gzipped copy as the "gzip" encoding.
        headers = Headers([])
        self.add_mime_headers(headers, path, url)
        self.add_cache_headers(headers, path, url)
        if self.allow_all_origins:
            headers["Access-Control-Allow-Origin"] = "*"
        if self.add_headers_function is not None:
            self.add_headers_function(headers, path, url)
        encodings = {"gzip": gzipped} if gzipped else {}
        return StaticFile(path, headers.items(), stat_cache=stat_cache, encodings=encodings)

    def add_cache_headers(self, headers: Headers, path: str, url: str) -> None:
        super().add_cache_headers(headers, path, url)
        if self.compress_dir is not None and str(Path(path).resolve()).startswith(self._versioned_roots):
            headers["Cache-Control"] = f"max-age={VENDORED_MAX_AGE}, public"

    def _gzipped(self, path: str) -> str | None:
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise MissingFileError(path) from exc
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key in self._compressed:
            return self._compressed[key]
        result = None
        if stat.st_size >= MIN_SIZE:
            assert self.compress_dir is not None
            stem = hashlib.sha1(path.encode(), usedforsecurity=False).hexdigest()
            target = self.compress_dir / f"{stem}-{stat.st_mtime_ns}-{stat.st_size}.gz"
            if not target.exists():
                data = Path(path).read_bytes()
                compressed = gzip.compress(data, compresslevel=9, mtime=0)
                if len(compressed) < len(data) * 0.95:
                    self._write(target, compressed, stem)
            result = str(target) if target.exists() else None
        self._compressed[key] = result
        return result

    @staticmethod
    def _write(target: Path, data: bytes, stem: str) -> None:
        """Write-then-rename: another worker never serves half a file. Older copies of the file go."""
        target.parent.mkdir(parents=True, exist_ok=True)
        for old in target.parent.glob(f"{stem}-*.gz"):
            old.unlink(missing_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
