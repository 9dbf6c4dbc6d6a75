"""Dashboard charts: each returns Chart.js-ready JSON and a flat table for its "download CSV"."""

from typing import Any, ClassVar

from chaoyang_friendly.csvexport import Column, ExportSpec

from .filters import Filters

CHARTS: dict[str, "Chart"] = {}


class Chart:
    name: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[str] = "bar"  # Chart.js type
    target_line: ClassVar[float | None] = None  # e.g. the 10-minute line

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        """{"labels": [...], "datasets": [{"label": ..., "data": [...]}], "title": ..., "kind": ...}"""
        raise NotImplementedError

    def csv_spec(self, data: dict[str, Any], filters: Filters) -> ExportSpec:
        columns = [Column("label", "项目", "label")] + [
            Column(f"d{i}", ds["label"], ds.get("label_en", ds["label"]), "number")
            for i, ds in enumerate(data["datasets"])
        ]
        rows = [
            {"label": label, **{f"d{i}": ds["data"][n] for i, ds in enumerate(data["datasets"])}}
            for n, label in enumerate(data["labels"])
        ]
        return ExportSpec(name=f"chart-{self.name}", columns=columns, rows=rows, filters=filters.as_dict())

    def envelope(self, labels: list[Any], datasets: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": str(self.title),
            "kind": self.kind,
            "target": self.target_line,
            "labels": [str(label) for label in labels],
            "datasets": datasets,
        }


def register(cls: type[Chart]) -> type[Chart]:
    CHARTS[cls.name] = cls()
    return cls
