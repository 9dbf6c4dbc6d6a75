"""`python bench/_celery_probe.py -A chaoyang_friendly worker …`: the Celery CLI with bench/_dispatch_probe.py
installed first (prefork children inherit it)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

if __name__ == "__main__":
    import _dispatch_probe

    _dispatch_probe.install_worker()
    from celery.__main__ import main

    sys.argv[0] = "celery"
    sys.exit(main())
