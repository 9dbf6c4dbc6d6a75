"""Photo safety: what a rider uploads is never stored as is.

Only JPEG/PNG/WebP (and HEIC/HEIF through pillow-heif) that Pillow decodes are accepted. The pixel count is
read from the header and checked against our own cap before anything is decoded, so a decompression bomb
costs a few bytes of reading. The image is then turned upright (EXIF orientation), shrunk to at most 2048 px
on the long side and re-encoded as a JPEG without any metadata (no GPS, no camera), plus a thumbnail.

Files are written to storage while the database transaction is still open. `photo_files_guard` removes
them when that transaction rolls back (also when the COMMIT itself fails); `photos_orphans_remove` is the
hourly backstop for what a guard cannot see (a crashed process, an outer transaction rolled back later).
"""

import io
import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from chaoyang_friendly.errors import ApplicationError

from .models import ReportPhoto

try:  # HEIC from iPhones; optional
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = {"HEIF"}
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    _HEIF = set()

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", *_HEIF}
PHOTO_DIR = "reports"  # ReportPhoto's upload_to puts every file under MEDIA_ROOT/reports/
ORPHAN_MIN_AGE = timedelta(hours=1)  # younger files may belong to a transaction that is still open

logger = logging.getLogger(__name__)
# The file names stored inside each open photo_files_guard block, innermost last.
_guarded: ContextVar[tuple[list[str], ...]] = ContextVar("reports_photo_guards", default=())


class PhotoError(ApplicationError):
    pass


@dataclass(frozen=True)
class ProcessedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def photos_check_count(count: int) -> None:
    if count > settings.REPORTS_PHOTO_MAX_COUNT:
        raise PhotoError(_("最多上传 %(n)d 张照片。") % {"n": settings.REPORTS_PHOTO_MAX_COUNT})


def _encode(image: Image.Image, long_side: int, quality: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # No exif=, icc_profile= or comment: the new file carries pixels only.
    copy.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue(), copy.width, copy.height


def photo_process(upload: IO[bytes], *, size: int | None = None) -> ProcessedPhoto:
    """Return the cleaned photo and its thumbnail, or raise PhotoError with a message for the rider."""
    max_bytes = settings.REPORTS_PHOTO_MAX_BYTES
    if size is not None and size > max_bytes:
        raise PhotoError(_("照片太大（上限 %(mb)d MB）。") % {"mb": max_bytes // (1024 * 1024)})
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)  # reads the header only
            if image.format not in ALLOWED_FORMATS:
                raise PhotoError(_("只接受 JPEG、PNG、WebP 或 HEIC 格式的照片。"))
            width, height = image.size
            if width * height > settings.REPORTS_PHOTO_MAX_PIXELS or width < 1 or height < 1:
                raise PhotoError(_("照片像素过大，请换一张。"))
            image.load()
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_("照片像素过大，请换一张。")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError(_("无法识别的图片文件。")) from None
    try:
        image = ImageOps.exif_transpose(image)
        if image.mode in {"RGBA", "LA", "P", "PA"}:
            image = image.convert("RGBA")
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        elif image.mode != "RGB":
            image = image.convert("RGB")
        data, w, h = _encode(image, settings.REPORTS_PHOTO_LONG_SIDE, 85)
        thumb, _tw, _th = _encode(image, settings.REPORTS_THUMB_LONG_SIDE, 75)
    except (OSError, ValueError):
        raise PhotoError(_("无法识别的图片文件。")) from None
    stem = get_random_string(16).lower()
    return ProcessedPhoto(
        image=ContentFile(data, name=f"{stem}.jpg"),
        thumbnail=ContentFile(thumb, name=f"{stem}_t.jpg"),
        width=w,
        height=h,
    )


# --- Files of rolled-back transactions -------------------------------------------------------------------
def photo_files_stored(names: Iterable[str]) -> None:
    """Note files just written to storage, so that the innermost open photo_files_guard can remove them."""
    guards = _guarded.get()
    if guards:
        guards[-1].extend(name for name in names if name)


def photo_files_delete(names: Iterable[str]) -> int:
    """Delete these files from storage; return how many were there. Never raises (logs instead)."""
    deleted = 0
    for name in names:
        try:
            if default_storage.exists(name):
                default_storage.delete(name)
                deleted += 1
        except Exception:  # a storage hiccup must not hide the error that rolled the transaction back
            logger.warning("could not delete photo file %s", name, exc_info=True)
    return deleted


@contextmanager
def photo_files_guard() -> Iterator[None]:
    """Delete the photo files stored inside the block (see photo_files_stored) if the block raises.

    Put it around the transaction, not inside it, so that a failing COMMIT is inside the block too. When
    the block ends cleanly inside an outer guard, its files pass to that guard: the outer transaction may
    still roll back.
    """
    names: list[str] = []
    token = _guarded.set((*_guarded.get(), names))
    try:
        yield
    except BaseException:
        _guarded.reset(token)
        photo_files_delete(names)
        raise
    _guarded.reset(token)
    photo_files_stored(names)


def _walk_files(top: str) -> Iterator[str]:
    """Storage names of every file under `top` (a storage directory name), depth first."""
    try:
        dirs, files = default_storage.listdir(top)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{top}/{name}"
    for name in dirs:
        yield from _walk_files(f"{top}/{name}")


def photos_orphans_remove(*, older_than: timedelta = ORPHAN_MIN_AGE, limit: int = 1000) -> int:
    """Delete up to `limit` files under MEDIA_ROOT/reports/ that no ReportPhoto references and that were
    last written more than `older_than` ago (never less than an hour); return how many were deleted."""
    cutoff: datetime = timezone.now() - max(older_than, ORPHAN_MIN_AGE)
    deleted = 0
    batch: list[str] = []

    def flush() -> int:
        referenced = set(ReportPhoto.objects.filter(image__in=batch).values_list("image", flat=True))
        referenced |= set(ReportPhoto.objects.filter(thumbnail__in=batch).values_list("thumbnail", flat=True))
        orphans = [name for name in batch if name not in referenced][: limit - deleted]
        batch.clear()
        return photo_files_delete(orphans)

    for name in _walk_files(PHOTO_DIR):
        if deleted >= limit:
            break
        try:
            if default_storage.get_modified_time(name) >= cutoff:
                continue
        except (FileNotFoundError, NotImplementedError):
            continue
        batch.append(name)
        if len(batch) >= 500:
            deleted += flush()
    if batch and deleted < limit:
        deleted += flush()
    if deleted:
        logger.info("removed %s orphaned photo files", deleted)
    return deleted
