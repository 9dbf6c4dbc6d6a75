"""Photo safety: what a rider uploads is never stored as is.

Only JPEG/PNG/WebP (and HEIC/HEIF through pillow-heif) that Pillow decodes are accepted. The pixel count is
read from the header and checked against our own cap before anything is decoded, so a decompression bomb
costs a few bytes of reading. The image is then turned upright (EXIF orientation), shrunk to at most 2048 px
on the long side and re-encoded as a JPEG without any metadata (no GPS, no camera), plus a thumbnail.
"""

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from chaoyang_friendly.errors import ApplicationError

try:  # HEIC from iPhones; optional
    import pillow_heif

    pillow_heif.register_heif_opener()
    _HEIF = {"HEIF"}
except ImportError:  # pragma: no cover - pillow-heif is in requirements.txt
    _HEIF = set()

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", *_HEIF}


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
