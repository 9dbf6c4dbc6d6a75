"""Export definitions, one module per domain app; importing this package registers them."""

from . import housing, partybranch, reports, riders, stations  # noqa: F401
