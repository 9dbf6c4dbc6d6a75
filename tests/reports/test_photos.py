import io
import struct
import threading
import time
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, JpegImagePlugin

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


# --- Bounded decoding (security review #12) ---------------------------------------------------------------
def _png_6000_square() -> bytes:
    """The review's attacker image: ~100 KB of PNG that decodes to 6000 × 6000 px (36 MP)."""
    out = io.BytesIO()
    Image.new("L", (6000, 6000), 255).save(out, format="PNG")
    return out.getvalue()


def test_a_small_png_of_6000_square_pixels_is_refused_before_decoding():
    """36 MP is under the JPEG cap, but a PNG is decoded at full size: the lower cap for PNG refuses it."""
    bomb = _png_6000_square()
    assert len(bomb) < 200_000
    started = time.monotonic()
    with pytest.raises(PhotoError, match="像素过大") as caught:
        photo_process(io.BytesIO(bomb), size=len(bomb))
    assert time.monotonic() - started < 0.2
    assert caught.value.status_code == 400


def test_a_12_mp_phone_jpeg_is_decoded_in_draft_mode_and_downscaled(monkeypatch):
    raw = jpeg_bytes(size=(4032, 3024), exif=_exif_with_gps())
    drafts = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):
        drafts.append(size)
        return original(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    result = photo_process(io.BytesIO(raw), size=len(raw))
    assert drafts[0] == (2048, 1536)  # before decoding; the box keeps the photo's proportions
    assert (result.width, result.height) == (1536, 2048)  # shrunk and turned upright (orientation 6)
    assert max(Image.open(io.BytesIO(result.thumbnail.read())).size) == 320


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size():
    """A 40 MP JPEG is read at 1/2 scale (draft) rather than at 40 MP."""
    image = Image.open(io.BytesIO(jpeg_bytes(size=(8000, 5000))))
    from reports.photos import _draft_box

    image.draft("RGB", _draft_box(8000, 5000, 2048))
    assert image.size == (4000, 2500)


def test_a_heic_over_its_own_cap_is_refused(settings):
    import pillow_heif

    settings.REPORTS_PHOTO_MAX_PIXELS_HEIF = 64 * 31
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 32), (10, 200, 10))).save(out, quality=60)
    with pytest.raises(PhotoError, match="像素过大"):
        photo_process(io.BytesIO(out.getvalue()))


def test_a_photo_waits_for_a_decoding_slot_then_is_refused_with_503(settings):
    from reports.photos import PhotoBusyError, photo_decode_slot

    settings.REPORTS_PHOTO_DECODE_CONCURRENCY = 1
    settings.REPORTS_PHOTO_DECODE_WAIT_SECONDS = 0.05
    raw = jpeg_bytes()
    with photo_decode_slot(), pytest.raises(PhotoBusyError, match="稍后重试") as caught:  # another is decoding
        photo_process(io.BytesIO(raw), size=len(raw))
    assert caught.value.status_code == 503
    assert photo_process(io.BytesIO(raw), size=len(raw)).width == 64  # the slot is free again


def test_the_submit_api_answers_503_with_a_message_when_every_slot_is_taken(rider, categories, api, settings):
    from reports.models import Report
    from reports.photos import photo_decode_slot

    from .factories import jpeg_upload

    settings.REPORTS_PHOTO_DECODE_CONCURRENCY = 2
    settings.REPORTS_PHOTO_DECODE_WAIT_SECONDS = 0.05
    release, held = threading.Event(), threading.Barrier(3)

    def busy() -> None:
        with photo_decode_slot():
            held.wait()
            release.wait(5)

    threads = [threading.Thread(target=busy) for _ in range(2)]
    for thread in threads:
        thread.start()
    held.wait()
    try:
        data = {"category": "traffic_light", "lng": "116.4690", "lat": "40.0130", "photos": [jpeg_upload()]}
        response = api(rider).post("/api/v1/reports/", data, format="multipart")
    finally:
        release.set()
        for thread in threads:
            thread.join()
    assert response.status_code == 503
    assert "稍后重试" in response.json()["detail"]
    assert not Report.objects.exists()
