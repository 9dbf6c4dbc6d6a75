import time

from reports import worker


def test_signature_verifies_only_with_the_right_secret_body_and_a_fresh_timestamp():
    body = b'{"event":"report.dispatched"}'
    now = str(int(time.time()))
    signature = worker.sign("s3cret", now, body)
    assert worker.verify("s3cret", now, body, signature)
    assert not worker.verify("other", now, body, signature)
    assert not worker.verify("s3cret", now, body + b" ", signature)
    old = str(int(time.time()) - 3600)
    assert not worker.verify("s3cret", old, body, worker.sign("s3cret", old, body))  # a replay
    assert not worker.verify("s3cret", "not-a-number", body, signature)


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    samples = {n: [worker.backoff_seconds(n, base=2, cap=60) for _ in range(200)] for n in (0, 3, 10)}
    assert all(0.1 <= s <= 2 for s in samples[0])
    assert all(0.1 <= s <= 16 for s in samples[3]) and max(samples[3]) > 8  # spread over the whole window
    assert all(s <= 60 for s in samples[10])
    assert len({round(s, 3) for s in samples[3]}) > 50  # jitter: retries do not arrive together


def test_the_worker_module_imports_no_models_and_no_database_code():
    from pathlib import Path

    source = Path(worker.__file__).read_text(encoding="utf-8")
    source += Path(worker.__file__).with_name("tasks.py").read_text(encoding="utf-8")
    for forbidden in ("from django.db", ".models import", "import models", "connection"):
        assert forbidden not in source
