"""kombu's filesystem transport, with messages that appear whole (the embedded default's broker).

kombu writes a message straight into the queue folder (open, lock, write), while a consumer lists the
folder and renames the files it sees: a consumer that takes the file between the open and the write reads
an empty message, and the worker exits with `Unrecoverable error: JSONDecodeError` (a race of that
transport, seen under `make run` every few minutes when beat enqueues while the worker polls). Here a
message is written under a name no consumer looks at and renamed into place once complete, and a consumer
moves what it takes within the same folder tree (one filesystem, so the move is an atomic rename).

Set as CELERY_BROKER_TRANSPORT = "chaoyang_friendly.kombu_filesystem:Transport" (settings.py).
"""

import os
import time
import uuid
from pathlib import Path

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        # Consumers take files in name order: nanoseconds keep a burst in the order it was sent.
        name = f"{time.time_ns():020d}_{uuid.uuid4()}.{queue}.msg"
        folder = Path(self.data_folder_out)
        partial = folder / f".{name}.part"  # never matches a consumer's "*.<queue>.msg"
        try:
            with open(partial, "wb") as handle:
                handle.write(str_to_bytes(dumps(payload)))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, folder / name)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to directory") from exc

    def _get(self, queue: str) -> dict:
        wanted = f"{queue}.msg"
        folder = Path(self.data_folder_in)
        taken = Path(self.processed_folder)
        for name in sorted(os.listdir(folder)):
            if name.startswith(".") or name.partition(".")[2] != wanted:
                continue
            mine = taken / f"{name}.{os.getpid()}"
            try:
                os.replace(folder / name, mine)  # atomic: of two consumers only one gets it
            except FileNotFoundError:
                continue
            try:
                payload = mine.read_bytes()
                mine.unlink()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {name!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise filesystem.Empty()


class Transport(filesystem.Transport):
    Channel = Channel
