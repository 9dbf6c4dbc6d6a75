"""Branch and street staff run the day here, scoped to their street: committees → branches → members,
activities with sessions and live counts, an attendance sheet per session, and the hours approval queue.
Changes of places and hours go through the services (lock, counter, audit event)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.personal import PersonalDataAdminMixin
from chaoyang_friendly.admin_audit import SuperuserDeleteAdminMixin
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import StreetScopedAdmin, StreetScopedTabularInline, get_object_for_user

from . import selectors, services
from .models import (
    Activity,
    Attendance,
    AuditEvent,
    Branch,
    Committee,
    Membership,
    Registration,
    RegistrationPerson,
    Session,
    VolunteerHours,
    VolunteerTeam,
)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class BranchTreeInline(_ReadOnlyInline):
    """A committee's branches (only the viewer's street's for street staff)."""

    model = Branch
    fields = ("name", "street", "secretary", "meeting_place")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).for_user(request.user).select_related("street", "secretary")


@admin.register(Committee)
class CommitteeAdmin(admin.ModelAdmin):
    """Committees are district-level: street staff see them (and their own branches in each), only
    superusers change them."""

    list_display = ("name", "industry", "branch_count")
    list_filter = ("industry",)
    search_fields = ("name",)
    inlines = [BranchTreeInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_branches=Count("branches"))

    @admin.display(description=_("支部数"), ordering="_branches")
    def branch_count(self, obj: Committee) -> int:
        return obj._branches  # type: ignore[attr-defined]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class MembershipInline(StreetScopedTabularInline):
    model = Membership
    fk_name = "branch"
    extra = 0
    fields = ("user", "role", "status", "joined_on", "transferred_in_on", "transferred_out_on", "transferred_to")
    autocomplete_fields = ("user", "transferred_to")


@admin.register(Branch)
class BranchAdmin(StreetScopedAdmin):
    list_display = ("name", "committee", "street", "secretary", "member_count")
    list_filter = ("committee__industry", "committee")
    search_fields = ("name", "meeting_place")
    list_select_related = ("committee", "street", "secretary")
    autocomplete_fields = ("secretary",)
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(_members=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)))
        )

    @admin.display(description=_("在册党员"), ordering="_members")
    def member_count(self, obj: Branch) -> int:
        return obj._members  # type: ignore[attr-defined]


@admin.register(Membership)
class MembershipAdmin(PersonalDataAdminMixin, StreetScopedAdmin):
    list_display = ("user", "branch", "role", "status", "joined_on", "transferred_in_on", "transferred_out_on")
    list_filter = ("status", "role", "branch__committee")
    search_fields = ("user__name", "user__phone", "branch__name")
    list_select_related = ("user", "branch")
    autocomplete_fields = ("user", "transferred_from", "transferred_to")


class SessionInline(admin.TabularInline):
    model = Session
    extra = 1
    fields = ("start", "end", "sheet")
    readonly_fields = ("sheet",)

    @admin.display(description=_("签到表"))
    def sheet(self, obj: Session) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:partybranch_session_sheet", args=[obj.pk]), _("签到表")
        )


class ActivityForm(forms.ModelForm):
    class Meta:
        model = Activity
        fields = (
            "title",
            "kind",
            "status",
            "street",
            "organiser_branch",
            "description",
            "place",
            "point",
            "capacity",
            "audience",
            "family_allowed",
            "child_min_age",
            "child_max_age",
            "signup_deadline",
        )

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk and capacity < self.instance.confirmed_people:
            raise forms.ValidationError(
                gettext("已有 %(n)d 人确认，名额不能少于该人数。") % {"n": self.instance.confirmed_people}
            )
        return capacity


@admin.register(Activity)
class ActivityAdmin(StreetScopedAdmin):
    form = ActivityForm
    list_display = (
        "title",
        "kind",
        "street",
        "first_start",
        "status",
        "capacity",
        "confirmed_people",
        "waitlisted",
        "present",
    )
    list_filter = ("kind", "status", "audience", "family_allowed")
    search_fields = ("title", "place")
    list_select_related = ("street",)
    readonly_fields = ("confirmed_people",)
    inlines = [SessionInline]
    fieldsets = (
        (None, {"fields": ("title", "kind", "status", "street", "organiser_branch", "description")}),
        (_("地点"), {"fields": ("place", "point")}),
        (
            _("名额与规则"),
            {
                "fields": (
                    "capacity",
                    "confirmed_people",
                    "audience",
                    "family_allowed",
                    ("child_min_age", "child_max_age"),
                    "signup_deadline",
                )
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_first_start().with_counts()

    @admin.display(description=_("首场开始"), ordering="first_start")
    def first_start(self, obj: Activity) -> Any:
        return obj.first_start  # type: ignore[attr-defined]

    @admin.display(description=_("候补人数"), ordering="waitlisted_people")
    def waitlisted(self, obj: Activity) -> int:
        return obj.waitlisted_people or 0  # type: ignore[attr-defined]

    @admin.display(description=_("已到人数"))
    def present(self, obj: Activity) -> int:
        return obj.present_people or 0  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Activity, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "capacity" in form.changed_data:
            # More places: the waitlist moves up now, in order, with SMS (the same service as the API).
            services.activity_capacity_change(activity=obj, capacity=obj.capacity, actor=request.user)


def _local(value: Any) -> str:
    """A moment as clerks read it: Beijing time, e.g. 2026年5月1日 09:30."""
    return date_format(timezone.localtime(value), "Y年n月j日 H:i") if value else "—"


DETAIL_LABELS = {
    "people": _("人数"),
    "remaining": _("报名时剩余名额"),
    "session": _("场次"),
    "hours": _("时长（小时）"),
    "reason": _("理由"),
    "manual": _("方式"),
    "model": _("删除的记录"),
    "person": _("人员编号"),
    "status": _("原状态"),
}


def event_detail_text(event: AuditEvent) -> str:
    """An audit event's `detail` as labelled words (人数：3；报名时剩余名额：1), never raw JSON."""
    detail = event.detail or {}
    if not isinstance(detail, dict):
        return str(detail)
    parts: list[tuple[str, str]] = []
    order = list(DETAIL_LABELS)
    for key, value in sorted(detail.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
        if key == "id":
            continue
        if key == "session":
            session = Session.objects.filter(pk=value).only("start").first()
            value = _local(session.start) if session else f"#{value}"
        elif key == "manual":
            value = gettext("工作人员手动标记") if value else gettext("扫码")
        elif key == "model":
            model = {"registration": Registration, "volunteerhours": VolunteerHours}.get(str(value))
            name = model._meta.verbose_name if model else value
            value = f"{name} #{detail.get('id', '')}".strip()
        elif key == "status":
            choices = dict(Registration.Status.choices) | dict(VolunteerHours.Status.choices)
            value = choices.get(value, value)
        parts.append((str(DETAIL_LABELS.get(key, key)), str(value)))
    if not parts:
        return "—"
    return format_html_join("；", "{}：{}", parts)


class AuditEventInline(_ReadOnlyInline):
    """Who did what and when, in Beijing time, with the detail in words."""

    model = AuditEvent
    fields = ("when", "verb", "actor", "detail_text")
    readonly_fields = fields
    verbose_name = _("操作记录")
    verbose_name_plural = _("操作记录")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("actor").order_by("at", "id")

    @admin.display(description=_("时间（北京时间）"))
    def when(self, obj: AuditEvent) -> str:
        return _local(obj.at)

    @admin.display(description=_("详情"))
    def detail_text(self, obj: AuditEvent) -> str:
        return event_detail_text(obj)


class RegistrationAuditInline(AuditEventInline):
    fk_name = "registration"


class HoursAuditInline(AuditEventInline):
    fk_name = "hours"


class RegistrationPersonInline(_ReadOnlyInline):
    model = RegistrationPerson
    fields = ("name", "relationship", "age")
    readonly_fields = fields


@admin.register(Registration)
class RegistrationAdmin(PersonalDataAdminMixin, SuperuserDeleteAdminMixin, StreetScopedAdmin):
    list_display = ("rider", "activity", "status", "people", "created_at", "confirmed_at")
    list_filter = ("status", "activity__kind")
    search_fields = ("rider__name", "rider__phone", "activity__title")
    list_select_related = ("rider", "activity")
    fields = ("activity", "rider", "status", "people", "created_at", "confirmed_at", "cancelled_at")
    readonly_fields = fields
    inlines = [RegistrationPersonInline, RegistrationAuditInline]
    actions = ["cancel_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # riders sign up themselves: the service decides confirmed or waitlisted

    def deletion_audit(self, request: HttpRequest, objects: list[Any]) -> None:
        services.audit_deletion_record(objects=objects, actor=request.user)

    @admin.action(description=_("取消所选报名（候补自动递补）"), permissions=["change"])
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for registration in queryset:
            services.registration_cancel(registration=registration, actor=request.user)
        messages.success(request, gettext("已取消 %(n)d 条报名。") % {"n": queryset.count()})


class AttendanceInline(_ReadOnlyInline):
    model = Attendance
    fields = ("person", "at", "checked_out_at", "by")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("person", "by")


@admin.register(Session)
class SessionAdmin(StreetScopedAdmin):
    list_display = ("__str__", "start", "end", "present_count", "sheet_link")
    list_filter = ("activity__kind",)
    search_fields = ("activity__title",)
    list_select_related = ("activity",)
    autocomplete_fields = ("activity",)
    inlines = [AttendanceInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_present=Count("attendances"))

    @admin.display(description=_("已到人数"), ordering="_present")
    def present_count(self, obj: Session) -> int:
        return obj._present  # type: ignore[attr-defined]

    @admin.display(description=_("签到表"))
    def sheet_link(self, obj: Session) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:partybranch_session_sheet", args=[obj.pk]), _("签到表")
        )

    def get_urls(self) -> list:
        return [
            path("<int:pk>/sheet/", self.admin_site.admin_view(self.sheet_view), name="partybranch_session_sheet"),
            *super().get_urls(),
        ]

    def sheet_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Every person of the confirmed families, present or not, with the time of the scan; a clerk
        with change rights marks a person present by hand (POST `person`) when the QR cannot be shown."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        session = get_object_for_user(Session.objects.select_related("activity"), request.user, pk=pk)
        can_mark = self.has_change_permission(request)
        if request.method == "POST":
            if not can_mark:
                raise PermissionDenied
            person = RegistrationPerson.objects.filter(
                pk=request.POST.get("person") or 0, registration__activity_id=session.activity_id
            ).first()
            if person is None:
                messages.error(request, gettext("该人员不属于本活动。"))
            else:
                try:
                    services.attendance_mark_present(session=session, person=person, actor=request.user)
                except ApplicationError as exc:
                    messages.error(request, str(exc))
                else:
                    messages.success(request, gettext("已标记到场：%(name)s。") % {"name": person.name})
            return redirect("admin:partybranch_session_sheet", pk=session.pk)
        rows = selectors.session_checkin_sheet(session=session)
        present = sum(1 for row in rows for _p, at in row["persons"] if at)
        expected = sum(len(row["persons"]) for row in rows)
        return render(
            request,
            "admin/partybranch/session_sheet.html",
            {
                **self.admin_site.each_context(request),
                "title": gettext("签到表：%(s)s") % {"s": session},
                "session": session,
                "rows": rows,
                "present": present,
                "expected": expected,
                "can_mark": can_mark,
                "checkin_url": reverse("partybranch:session-checkin", args=[session.pk]),
                "opts": self.model._meta,
            },
        )


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(StreetScopedAdmin):
    list_display = ("name", "street", "branch", "leader")
    search_fields = ("name",)
    list_select_related = ("street", "branch", "leader")
    autocomplete_fields = ("leader",)


class PendingFilter(admin.SimpleListFilter):
    title = _("审核队列")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("1", _("待审核"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.approval_queue() if self.value() == "1" else queryset  # type: ignore[attr-defined]


@admin.register(VolunteerHours)
class VolunteerHoursAdmin(PersonalDataAdminMixin, SuperuserDeleteAdminMixin, StreetScopedAdmin):
    list_display = ("person", "street", "team", "activity", "start", "end", "hours", "source", "status")
    list_filter = (PendingFilter, "status", "source")
    search_fields = ("person__name", "person__phone", "note")
    list_select_related = ("person", "street", "team", "activity")
    date_hierarchy = "start"
    fields = (
        "person",
        "street",
        "team",
        "activity",
        "start",
        "end",
        "hours",
        "source",
        "status",
        "note",
        "reviewed_by",
        "reviewed_at",
    )
    readonly_fields = fields
    inlines = [HoursAuditInline]
    actions = ["approve_selected", "reject_selected"]

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # Django's date_hierarchy turns a ValueError into the admin's "?e=1" but not an OverflowError
        # (?start__year=99999999999): the same answer here instead of a 500.
        try:
            return super().get_changelist_instance(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # hours come from scans, declarations and the services

    def deletion_audit(self, request: HttpRequest, objects: list[Any]) -> None:
        services.audit_deletion_record(objects=objects, actor=request.user)

    @admin.action(description=_("审核通过所选时长"), permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            count = services.hours_bulk_approve(queryset=queryset, actor=request.user)
        except ApplicationError as exc:
            messages.error(request, str(exc))
            return
        messages.success(request, gettext("已通过 %(n)d 条服务时长。") % {"n": count})

    @admin.action(description=_("驳回所选时长"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for hours in queryset.filter(status=VolunteerHours.Status.PENDING):
            try:
                services.hours_reject(hours=hours, actor=request.user)
                count += 1
            except ApplicationError as exc:
                messages.error(request, str(exc))
        messages.success(request, gettext("已驳回 %(n)d 条服务时长。") % {"n": count})
