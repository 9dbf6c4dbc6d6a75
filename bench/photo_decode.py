"""Time and peak memory of decoding a photo, old (HEAD's reports/photos.py) against new (security review #12).

    DATABASE_URL=... .venv/bin/python bench/photo_decode.py

Each decode runs in a fresh child process (median of 5, old and new interleaved), so the peak RSS (resource.getrusage ru_maxrss) is that decode's
alone; the child's RSS before decoding is subtracted. Inputs: the review's attacker image (~100 KB PNG of
6000 × 6000 px) and a 12 MP camera JPEG (4032 × 3024 with noise, so it does not compress to nothing).
"""

import io
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
RUNS = 5


def _inputs() -> dict[str, bytes]:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGBA", (6000, 6000), (255, 255, 255, 255)).save(png, format="PNG")
    noise = Image.effect_noise((4032, 3024), 40).convert("RGB")
    jpeg = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # a phone held upright
    noise.save(jpeg, format="JPEG", quality=90, exif=exif)
    big = io.BytesIO()
    noise.resize((7680, 5120)).save(big, format="JPEG", quality=35)  # under the 40 MP cap and the 12 MB limit
    return {
        "attacker PNG 6000²": png.getvalue(),
        "camera JPEG 12 MP": jpeg.getvalue(),
        "JPEG 39 MP": big.getvalue(),
    }


def _module(which: str) -> types.ModuleType:
    import django

    django.setup()
    if which == "new":
        from reports import photos

        return photos
    source = subprocess.run(
        ["git", "show", "HEAD:reports/photos.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    module = types.ModuleType("reports.photos_head")
    module.__package__ = "reports"
    exec(compile(source, "HEAD:reports/photos.py", "exec"), module.__dict__)  # noqa: S102 - our own file at HEAD
    return module


def _child(which: str, data: bytes, queue: mp.Queue) -> None:
    module = _module(which)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        result = module.photo_process(io.BytesIO(data), size=len(data))
        outcome = f"{result.width}×{result.height}"
    except module.PhotoError as exc:
        outcome = f"refused: {exc}"
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before  # KiB on Linux
    queue.put((elapsed, peak / 1024, outcome))


def _once(which: str, data: bytes) -> tuple[float, float, str]:
    queue: mp.Queue = mp.Queue()
    process = mp.get_context("fork").Process(target=_child, args=(which, data, queue))
    process.start()
    process.join(timeout=300)
    if process.exitcode != 0:
        raise SystemExit(f"the {which} decode failed (exit code {process.exitcode})")
    return queue.get(timeout=5)


def measure(data: bytes) -> dict[str, tuple[float, float, str]]:
    """Median time and peak over RUNS fresh processes per variant, old and new interleaved (the machine
    may be busy): {variant: (seconds, MiB, outcome)}."""
    runs: dict[str, list[tuple[float, float, str]]] = {"old": [], "new": []}
    for _ in range(RUNS):
        for which, results in runs.items():
            results.append(_once(which, data))
    return {
        which: (statistics.median(r[0] for r in results), statistics.median(r[1] for r in results), results[0][2])
        for which, results in runs.items()
    }


def main() -> None:
    for name, data in _inputs().items():
        measured = measure(data)
        (old_t, old_m, old_out), (new_t, new_m, new_out) = measured["old"], measured["new"]
        print(f"{name} ({len(data) // 1024} KB)")
        print(f"  old: {old_t * 1000:8.1f} ms {old_m:7.1f} MiB peak  {old_out}")
        print(f"  new: {new_t * 1000:8.1f} ms {new_m:7.1f} MiB peak  {new_out}")
        print(f"  ratio old/new: time ×{old_t / new_t:.1f}, memory ×{old_m / max(new_m, 0.1):.1f}")


if __name__ == "__main__":
    main()
