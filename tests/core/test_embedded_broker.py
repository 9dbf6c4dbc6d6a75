"""The embedded default's broker: kombu's filesystem transport, with messages that appear whole."""

import os

import pytest
from kombu import Connection

from chaoyang_friendly import kombu_filesystem


@pytest.fixture
def channel(tmp_path):
    queue, taken = tmp_path / "queue", tmp_path / "taken"
    queue.mkdir()
    taken.mkdir()
    options = {"data_folder_in": str(queue), "data_folder_out": str(queue), "processed_folder": str(taken)}
    with Connection(transport=kombu_filesystem.Transport, transport_options=options) as conn:
        yield conn.default_channel


def test_a_message_being_written_is_invisible_to_consumers(channel, monkeypatch):
    """kombu's own transport creates the queue file before writing it: a consumer polling in between read
    an empty message and the worker exited (JSONDecodeError). Here a consumer polling in the middle of a
    write finds nothing, and then the whole message."""
    seen_mid_write = []
    fsync = os.fsync

    def consumer_polls_mid_write(fd: int) -> None:
        try:
            seen_mid_write.append(channel._get("dispatch"))
        except kombu_filesystem.filesystem.Empty:
            seen_mid_write.append(None)
        fsync(fd)

    monkeypatch.setattr(kombu_filesystem.os, "fsync", consumer_polls_mid_write)
    channel._put("dispatch", {"body": "report 1"})
    assert seen_mid_write == [None]
    monkeypatch.setattr(kombu_filesystem.os, "fsync", fsync)
    assert channel._get("dispatch") == {"body": "report 1"}
    with pytest.raises(kombu_filesystem.filesystem.Empty):
        channel._get("dispatch")  # taken once, and nothing left behind in either folder


def test_messages_keep_their_order_and_queue(channel):
    for i in range(3):
        channel._put("dispatch", {"n": i})
    channel._put("maintenance", {"n": "sweep"})
    assert [channel._get("dispatch")["n"] for _ in range(3)] == [0, 1, 2]
    assert channel._get("maintenance") == {"n": "sweep"}
