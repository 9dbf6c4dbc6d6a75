"""gunicorn settings the command line does not carry (gunicorn reads ./gunicorn.conf.py by itself).

- Time zone: gunicorn's own lines (start, worker exits) in TIME_ZONE like Django's and Celery's, with the
  offset written out. The access log is Django's (chaoyang_friendly.middleware): it knows the client's address
  behind a proxy and the request id, so `--access-logfile` stays off.
- LOG_FORMAT=json: gunicorn's lines as JSON objects too.
- Prometheus: the web workers share their request metrics through PROMETHEUS_MULTIPROC_DIR (one folder per
  gunicorn master, under VAR_DIR/prometheus), so a scrape of /metrics sums every worker.
"""

import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("TZ", "Asia/Shanghai")  # = settings.TIME_ZONE
time.tzset()

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }

_metrics_root = Path(os.environ.get("VAR_DIR", Path(__file__).resolve().parent / "var")) / "prometheus"
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(_metrics_root / str(os.getpid()))


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """A fresh metrics folder for this master; folders of masters that are gone are removed."""
    current = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    if current.parent == _metrics_root and _metrics_root.is_dir():
        for folder in _metrics_root.iterdir():
            if folder != current and folder.name.isdigit() and not _alive(int(folder.name)):
                shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(current, ignore_errors=True)
    current.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
