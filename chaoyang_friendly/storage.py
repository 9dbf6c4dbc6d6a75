"""Private file storage: files that must never be reachable under MEDIA_URL (export jobs may carry full
phone numbers). They leave only through a view that checks who asks.

`STORAGES["private"]` names the backend: by default a folder outside MEDIA_ROOT (PRIVATE_MEDIA_ROOT); an
S3-compatible backend with private objects fits the same alias (PRIVATE_STORAGE_BACKEND).
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages


class PrivateFileSystemStorage(FileSystemStorage):
    """FileSystemStorage under settings.PRIVATE_MEDIA_ROOT (read on each use, so tests may move it) that
    has no URL: `url()` raises ValueError."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return self._value_or_setting(self._location, str(settings.PRIVATE_MEDIA_ROOT))

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property  # type: ignore[override]
    def base_url(self) -> None:
        return None


def private_storage() -> Storage:
    """The storage of private files (a callable, so FileFields reference the alias, not an instance)."""
    return storages["private"]
