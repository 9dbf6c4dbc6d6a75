import io
import struct
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from reports.photos import PhotoError, photo_process, photos_check_count

from .factories import jpeg_bytes


def _exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ACME Phone"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° CW to display
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 30.0), 3: "E", 4: (116.0, 28.0, 10.0)}  # GPSInfo
    return exif


def test_a_jpeg_with_gps_exif_comes_back_without_any_metadata_and_upright():
    raw = jpeg_bytes(size=(80, 40), exif=_exif_with_gps())
    assert Image.open(io.BytesIO(raw)).getexif().get(0x8825)  # the input really has GPS
    result = photo_process(io.BytesIO(raw), size=len(raw))
    cleaned = Image.open(io.BytesIO(result.image.read()))
    assert cleaned.format == "JPEG"
    assert dict(cleaned.getexif()) == {}
    assert "exif" not in cleaned.info and "icc_profile" not in cleaned.info
    assert b"ACME" not in result.image.read() and b"Exif" not in result.image.file.getvalue()
    # Orientation 6 was applied: 80×40 becomes 40×80.
    assert (cleaned.width, cleaned.height) == (40, 80) == (result.width, result.height)
    thumb = Image.open(io.BytesIO(result.thumbnail.read()))
    assert max(thumb.size) <= 320 and dict(thumb.getexif()) == {}


def test_a_large_photo_is_shrunk_to_2048_px_and_png_with_alpha_becomes_jpeg():
    out = io.BytesIO()
    Image.new("RGBA", (3000, 1000), (0, 0, 255, 128)).save(out, format="PNG")
    result = photo_process(io.BytesIO(out.getvalue()))
    assert (result.width, result.height) == (2048, 683)
    assert Image.open(io.BytesIO(result.image.read())).mode == "RGB"


def _png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("side", [8_000, 20_000, 60_000])
def test_a_decompression_bomb_is_rejected_from_its_header_quickly(side):
    """8000² = 64 MP is over our 40 MP cap but under Pillow's; 20000² and 60000² trip Pillow's own checks."""
    bomb = _png_header(side, side)
    assert len(bomb) < 200
    started = time.monotonic()
    with pytest.raises(PhotoError, match="像素过大"):
        photo_process(io.BytesIO(bomb), size=len(bomb))
    assert time.monotonic() - started < 0.5


def test_a_renamed_text_file_is_rejected():
    fake = SimpleUploadedFile("photo.jpg", b"hello, I am not a picture" * 10, content_type="image/jpeg")
    with pytest.raises(PhotoError, match="无法识别"):
        photo_process(fake, size=fake.size)


def test_a_gif_is_not_accepted():
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="GIF")
    with pytest.raises(PhotoError, match="JPEG"):
        photo_process(io.BytesIO(out.getvalue()))


def test_a_huge_file_is_rejected_before_reading(settings):
    settings.REPORTS_PHOTO_MAX_BYTES = 1000
    with pytest.raises(PhotoError, match="太大"):
        photo_process(io.BytesIO(b""), size=5000)


def test_more_than_three_photos_are_rejected():
    photos_check_count(3)
    with pytest.raises(PhotoError, match="最多"):
        photos_check_count(4)


def test_an_iphone_heic_photo_is_accepted_and_becomes_a_clean_jpeg():
    import pillow_heif

    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 32), (10, 200, 10))).save(out, quality=60)
    result = photo_process(io.BytesIO(out.getvalue()))
    cleaned = Image.open(io.BytesIO(result.image.read()))
    assert cleaned.format == "JPEG" and cleaned.size == (64, 32)
