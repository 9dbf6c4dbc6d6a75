import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel
from chaoyang_friendly.storage import private_storage


def export_file_path(instance: "ExportJob", filename: str) -> str:
    """exports/YYYY/MM/<128-bit random token>-<name>.csv in private storage: not guessable, not under MEDIA_URL."""
    return f"exports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}-{filename}"


class ExportJob(TimeStampedModel):
    """A large export run by a Celery worker into the storage backend, with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        EXPIRED = "expired", _("已过期删除")

    user = models.ForeignKey(
        "accounts.User", verbose_name=_("申请人"), on_delete=models.CASCADE, related_name="export_jobs"
    )
    name = models.CharField(_("导出名称"), max_length=60)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    rows_written = models.PositiveBigIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to=export_file_path, storage=private_storage, blank=True)
    personal_data = models.BooleanField(_("含个人信息(未脱敏)"), default=False)
    error = models.TextField(_("错误"), blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def download_name(self) -> str:
        """The file's name without its random token, for Content-Disposition."""
        return self.file.name.rsplit("/", 1)[-1].split("-", 1)[-1]
