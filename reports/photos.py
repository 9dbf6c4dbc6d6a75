"""Photo safety: what a rider uploads is never stored as is.

Only JPEG/PNG/WebP (and HEIC/HEIF through pillow-heif) that Pillow decodes are accepted. The pixel count is
read from the header and checked against our own cap before anything is decoded, so a decompression bomb
costs a few bytes of reading. The cap depends on the format: a JPEG is decoded in draft mode (libjpeg
scales by 1/2, 1/4 or 1/8 while decoding, to no less than the size we keep), every other format at full
size, so those get a lower cap. At most REPORTS_PHOTO_DECODE_CONCURRENCY photos are decoded at once per
process; beyond that a request waits briefly, then gets a translated 503. The image is shrunk to at most
2048 px on the long side, turned upright (EXIF orientation) and re-encoded as a JPEG without any metadata
(no GPS, no camera), plus a thumbnail made from that smaller copy.

Files are written to storage while the database transaction is still open. `photo_files_guard` removes
them when that transaction rolls back (also when the COMMIT itself fails); `photos_orphans_remove` is the
hourly backstop for what a guard cannot see (a crashed process, an outer transaction rolled back later).
"""

import io
import logging
import math
import threading
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
from rest_framework import status

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


class PhotoBusyError(PhotoError):
    """Every decoding slot of this process stayed taken for REPORTS_PHOTO_DECODE_WAIT_SECONDS."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE


@dataclass(frozen=True)
class ProcessedPhoto:
    image: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def photos_check_count(count: int) -> None:
    if count > settings.REPORTS_PHOTO_MAX_COUNT:
        raise PhotoError(_("最多上传 %(n)d 张照片。") % {"n": settings.REPORTS_PHOTO_MAX_COUNT})


def _pixel_cap(image_format: str) -> int:
    """The most pixels we decode for this format (read from the header, before decoding)."""
    cap = settings.REPORTS_PHOTO_MAX_PIXELS
    if image_format == "JPEG":  # decoded in draft mode, at most ~4 × the pixels we keep
        return cap
    if image_format in _HEIF:
        return min(cap, settings.REPORTS_PHOTO_MAX_PIXELS_HEIF)
    return min(cap, settings.REPORTS_PHOTO_MAX_PIXELS_FULL_DECODE)


_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None


def _decode_slots() -> threading.BoundedSemaphore:
    """This process's decoding semaphore (made anew when the setting changes, which only tests do)."""
    global _slots
    size = max(1, settings.REPORTS_PHOTO_DECODE_CONCURRENCY)
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


@contextmanager
def photo_decode_slot() -> Iterator[None]:
    """Hold one of this process's decoding slots, or raise PhotoBusyError after a short wait."""
    slots = _decode_slots()
    if not slots.acquire(timeout=settings.REPORTS_PHOTO_DECODE_WAIT_SECONDS):
        logger.warning("photo decoding busy: %s slots taken", settings.REPORTS_PHOTO_DECODE_CONCURRENCY)
        raise PhotoBusyError(_("服务器正忙，照片暂时无法处理，请稍后重试。"))
    try:
        yield
    finally:
        slots.release()


def _draft_box(width: int, height: int, long_side: int) -> tuple[int, int]:
    """The smallest size, with the photo's proportions, that still gives `long_side` after shrinking.

    Not a square box: Pillow scales only while both sides stay at least as large as the box, so a square
    one would keep a panorama at full size.
    """
    scale = long_side / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """An RGB image: transparency over white, everything else converted."""
    if image.mode in {"RGBA", "LA"}:
        rgba = image.convert("RGBA") if image.mode != "RGBA" else image
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image if image.mode == "RGB" else image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # No exif=, icc_profile= or comment: the new file carries pixels only.
    image.save(out, format="JPEG", quality=quality, optimize=True)
    return out.getvalue()


def photo_process(upload: IO[bytes], *, size: int | None = None) -> ProcessedPhoto:
    """Return the cleaned photo and its thumbnail, or raise PhotoError with a message for the rider
    (PhotoBusyError, a 503, when this process is already decoding as many photos as it may)."""
    max_bytes = settings.REPORTS_PHOTO_MAX_BYTES
    if size is not None and size > max_bytes:
        raise PhotoError(_("照片太大（上限 %(mb)d MB）。") % {"mb": max_bytes // (1024 * 1024)})
    long_side = settings.REPORTS_PHOTO_LONG_SIDE
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)  # reads the header only
            if image.format not in ALLOWED_FORMATS:
                raise PhotoError(_("只接受 JPEG、PNG、WebP 或 HEIC 格式的照片。"))
            width, height = image.size
            if width * height > _pixel_cap(image.format) or width < 1 or height < 1:
                raise PhotoError(_("照片像素过大，请换一张。"))
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError(_("照片像素过大，请换一张。")) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise PhotoError(_("无法识别的图片文件。")) from None
    with photo_decode_slot():
        try:
            if image.format == "JPEG":
                image.draft("RGB", _draft_box(width, height, long_side))
            image.load()
            if image.mode not in {"RGB", "RGBA", "L", "LA"}:
                # P, PA and 1 cannot be resampled smoothly; CMYK, I;16 and the like are converted once here.
                transparent = image.mode in {"P", "PA"} or "transparency" in image.info
                image = image.convert("RGBA" if transparent else "RGB")
            image.thumbnail((long_side, long_side), Image.Resampling.LANCZOS)  # in place, no full-size copy
            ImageOps.exif_transpose(image, in_place=True)
            image = _flatten(image)
            data = _jpeg(image, 85)
            w, h = image.size
            image.thumbnail((settings.REPORTS_THUMB_LONG_SIDE,) * 2, Image.Resampling.LANCZOS)
            thumb = _jpeg(image, 75)
        except (OSError, ValueError, SyntaxError, EOFError):
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
