"""Admin for street/project staff (scoped by StreetScopedAdmin) and the district (read)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.personal import PersonalDataAdminMixin
from chaoyang_friendly.admin_audit import SuperuserDeleteAdminMixin
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import StreetScopedAdmin, StreetScopedAdminMixin, user_sees_all_streets, user_street_id
from jurisdictions.models import Street

from . import selectors
from .models import (
    Application,
    ApplicationStatusChange,
    Bed,
    EligibilityRule,
    HouseholdKind,
    Lease,
    Offer,
    Project,
    ProjectPhoto,
    Room,
    RoomType,
)
from .services import bed_allocate, lease_end, offer_make, room_allocate
from .services.applications import application_reject
from .services.eligibility import HOUSEHOLD_MATCHES

BED_COLOURS = {"available": "#188038", "held": "#b06000", "occupied": "#d93025", "out_of_service": "#80868b"}


def _id_param(value: str | None) -> int:
    """An id from a list filter's query parameter; anything else is the admin's "?e=1" (not a 500)."""
    if value is None or not (value.isascii() and value.isdecimal()) or len(value) > 18:
        raise IncorrectLookupParameters(_("筛选参数无效。"))
    return int(value)


class StreetFilter(admin.SimpleListFilter):
    """Street filter listing names only (the default one would load every street's boundary)."""

    title = _("街道/地区")
    parameter_name = "street"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        if not user_sees_all_streets(request.user):
            return []
        return [(str(pk), name) for pk, name in Street.objects.order_by("code").values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(street_id=_id_param(self.value())) if self.value() else queryset


class ProjectFilter(admin.SimpleListFilter):
    """Project filter listing only the projects the staff member may see."""

    title = _("项目")
    parameter_name = "project"
    lookup = "project_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Project.objects.for_user(request.user).values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{self.lookup: _id_param(self.value())}) if self.value() else queryset


class RoomProjectFilter(ProjectFilter):
    lookup = "room_type__project_id"


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"


class RoomTypeInline(admin.TabularInline):
    model = RoomType
    extra = 0
    fields = ("name", "kind", "beds_per_room", "rent_mode", "rent", "deposit", "household")


class ProjectPhotoInline(admin.TabularInline):
    model = ProjectPhoto
    extra = 0


@admin.register(Project)
class ProjectAdmin(StreetScopedAdmin):
    list_display = ("name", "street", "status", "rent_range", "total_beds", "occupied", "held", "vacant", "occupancy")
    list_filter = ("status", StreetFilter)
    list_select_related = ("street",)
    search_fields = ("name", "address", "operator")
    inlines = (RoomTypeInline, ProjectPhotoInline)
    readonly_fields = ("occupancy_grid",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.projects_with_figures(super().get_queryset(request))

    @admin.display(description=_("租金(元/月)"))
    def rent_range(self, obj: Project) -> str:
        if obj.rent_min is None:
            return "—"
        return str(obj.rent_min) if obj.rent_min == obj.rent_max else f"{obj.rent_min}–{obj.rent_max}"

    @admin.display(description=_("床位"), ordering="total_beds")
    def total_beds(self, obj: Project) -> int:
        return obj.total_beds

    @admin.display(description=_("已入住"), ordering="occupied_beds")
    def occupied(self, obj: Project) -> int:
        return obj.occupied_beds

    @admin.display(description=_("已邀约"), ordering="held_beds")
    def held(self, obj: Project) -> int:
        return obj.held_beds

    @admin.display(description=_("空闲"), ordering="vacant_beds")
    def vacant(self, obj: Project) -> int:
        return obj.vacant_beds

    @admin.display(description=_("入住率"))
    def occupancy(self, obj: Project) -> str:
        return _percent(obj.occupied_beds, obj.total_beds)

    @admin.display(description=_("房间与床位一览"))
    def occupancy_grid(self, obj: Project) -> str:
        """Each room with its beds as coloured squares (green free, orange offered, red let, grey off)."""
        if not obj.pk:
            return "—"
        rooms = (
            Room.objects.filter(room_type__project=obj)
            .select_related("room_type")
            .prefetch_related(Prefetch("beds", queryset=Bed.objects.order_by("label")))
            .order_by("room_type__name", "floor", "number")[:500]
        )
        rows = format_html_join(
            "",
            "<div><strong>{}</strong> {} {}</div>",
            (
                (
                    room.number,
                    room.room_type.name,
                    format_html_join(
                        "",
                        '<span title="{}" style="display:inline-block;width:14px;height:14px;margin:1px;background:{}"></span>',
                        ((f"{b.label} {b.get_status_display()}", BED_COLOURS[b.status]) for b in room.beds.all()),
                    ),
                )
                for room in rooms
            ),
        )
        return format_html('<div class="occupancy-grid">{}</div>', rows)


class BedInline(admin.TabularInline):
    model = Bed
    extra = 0
    fields = ("label", "status")


@admin.register(RoomType)
class RoomTypeAdmin(StreetScopedAdmin):
    list_display = ("name", "project", "kind", "rent", "rent_mode", "household", "total_beds", "vacancies")
    list_filter = ("kind", "household")
    list_select_related = ("project",)
    search_fields = ("name", "project__name")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.room_types_with_vacancies(super().get_queryset(request))

    @admin.display(description=_("床位"))
    def total_beds(self, obj: RoomType) -> int:
        return obj.total_beds

    @admin.display(description=_("空位"))
    def vacancies(self, obj: RoomType) -> int:
        return obj.vacancies


@admin.register(Room)
class RoomAdmin(StreetScopedAdmin):
    list_display = ("number", "room_type", "floor", "gender_rule", "beds_at_a_glance")
    list_filter = ("gender_rule", RoomProjectFilter)
    list_select_related = ("room_type__project",)
    search_fields = ("number", "room_type__project__name")
    inlines = (BedInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related(Prefetch("beds", queryset=Bed.objects.order_by("label")))

    @admin.display(description=_("床位状态"))
    def beds_at_a_glance(self, obj: Room) -> str:
        return format_html_join(
            "",
            '<span title="{}" style="display:inline-block;width:14px;height:14px;margin:1px;background:{}"></span>',
            ((f"{b.label} {b.get_status_display()}", BED_COLOURS[b.status]) for b in obj.beds.all()),
        )


@admin.register(EligibilityRule)
class EligibilityRuleAdmin(StreetScopedAdmin):
    """Street staff read the district-wide rules and edit their own street's rules."""

    list_display = ("code", "street", "parameters_display", "active", "failure_message")
    list_filter = ("active", "code")
    list_select_related = ("street",)

    @admin.display(description=_("参数"))
    def parameters_display(self, obj: EligibilityRule) -> str:
        return rule_parameters_text(obj.parameters)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super(StreetScopedAdminMixin, self).get_queryset(request).select_related("street")
        if user_sees_all_streets(request.user):
            return qs
        street_id = user_street_id(request.user)
        return qs.filter(Q(street__isnull=True) | Q(street_id=street_id)) if street_id else qs.none()

    def _editable(self, request: HttpRequest, obj: Any) -> bool:
        return obj is None or obj.street_id is not None or user_sees_all_streets(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._editable(request, obj)


def rule_parameters_text(params: Any) -> str:
    """A rule's parameters as a clerk reads them: "职业：快递员、外卖骑手；街道：双井" (not JSON)."""
    from accounts.models import RiderProfile

    if not params or not isinstance(params, dict):
        return "—"
    parts = []
    if "occupations" in params:
        labels = dict(RiderProfile.Occupation.choices)
        names = "、".join(str(labels.get(v, v)) for v in params["occupations"] or [])
        parts.append(_("职业：%(names)s") % {"names": names})
    if "max" in params:
        parts.append(_("最多 %(n)s 人") % {"n": params["max"]})
    if "streets" in params:
        codes = list(params["streets"] or [])
        names_by_code = dict(Street.objects.filter(code__in=codes).values_list("code", "name"))
        parts.append(_("街道：%(names)s") % {"names": "、".join(names_by_code.get(c, c) for c in codes)})
    return "；".join(str(p) for p in parts) or "—"


def eligibility_html(results: Any) -> str:
    """Stored eligibility results as a labelled list (✓/✗, the rule's name, the reason) instead of JSON."""
    if not results:
        return "—"
    names = {**dict(EligibilityRule.Code.choices), HOUSEHOLD_MATCHES: _("房型与申请类型相符")}
    return format_html(
        '<ul class="eligibility">{}</ul>',
        format_html_join(
            "",
            '<li style="color:{}">{} {}{}</li>',
            (
                (
                    "#188038" if r.get("ok") else "#d93025",
                    "✓" if r.get("ok") else "✗",
                    names.get(r.get("code"), r.get("code")),
                    "" if r.get("ok") or not r.get("message") else f"：{r.get('message')}",
                )
                for r in results
                if isinstance(r, dict)
            ),
        ),
    )


def members_text(members: Any) -> str:
    if not members:
        return str(_("无（本人独住）"))
    return "、".join(f"{m.get('name', '')}（{m.get('relation', '')}）" for m in members if isinstance(m, dict))


def waiting_text(since: Any) -> str:
    days = (timezone.localdate() - timezone.localtime(since).date()).days
    return _("今天") if days <= 0 else ngettext("已等 %(n)d 天", "已等 %(n)d 天", days) % {"n": days}


class StatusChangeInline(admin.TabularInline):
    model = ApplicationStatusChange
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllocateForm(forms.Form):
    # Free units are offered as choices, but any bed/room id is accepted: a choice may be stale by the time
    # it is posted, and the service's lock and re-check must be the one to say so (with its message).
    unit = forms.RegexField(
        label=_("分配给"),
        regex=r"^(bed|room):\d+$",
        error_messages={"required": _("请选择一个床位或整间房。"), "invalid": _("请选择一个床位或整间房。")},
    )


class QueueFilter(admin.SimpleListFilter):
    """The list opens on the queue (waiting for a bed, in queue order); "全部申请" shows everything.

    An explicit status filter or a search shows all matching applications instead of the queue, and an
    action applies to the rows the clerk selected, wherever they came from (still within the street)."""

    title = _("队列")
    parameter_name = "queue"
    OVERRIDES = ("status__exact", "q")

    def __init__(self, request: HttpRequest, *args: Any) -> None:
        self.overridden = any(request.GET.get(k) for k in self.OVERRIDES) or (
            request.method == "POST" and bool(request.POST.getlist("_selected_action"))
        )
        super().__init__(request, *args)

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("offered", _("已发邀约，待答复")), ("open", _("全部进行中")), ("all", _("全部申请"))]

    def choices(self, changelist: Any) -> Any:
        yield {
            "selected": self.value() is None and not self.overridden,
            "query_string": changelist.get_query_string(remove=[self.parameter_name, *self.OVERRIDES]),
            "display": _("待分配（排队中）"),
        }
        for lookup, title in self.lookup_choices:
            selected = self.value() == lookup or (lookup == "all" and self.value() is None and self.overridden)
            yield {
                "selected": selected,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset if self.overridden else queryset.filter(status=Application.Status.WAITLISTED)
        if value == "offered":
            return queryset.filter(status=Application.Status.OFFERED)
        if value == "open":
            return queryset.open()
        if value == "all":
            return queryset
        raise IncorrectLookupParameters(_("筛选参数无效。"))


ALLOCATABLE = (Application.Status.ELIGIBLE, Application.Status.WAITLISTED, Application.Status.OFFERED)


@admin.register(Application)
class ApplicationAdmin(PersonalDataAdminMixin, SuperuserDeleteAdminMixin, StreetScopedAdmin):
    # Narrow enough for a 1366 px office screen with the admin's side panels: 分配床位 stays in view.
    list_display = (
        "rider",
        "project",
        "household",
        "status",
        "position",
        "waiting",
        "eligibility_result",
        "allocate_link",
    )
    list_filter = (QueueFilter, "status", "household_kind", ProjectFilter)
    search_fields = ("rider__phone", "rider__name", "project__name")
    readonly_fields = ("rider", "household_members_text", "eligibility_list", "reason", "status", "created_at")
    fields = (
        "rider",
        "project",
        "room_types",
        "household_kind",
        "gender",
        "household_members_text",
        "move_in_date",
        "work_point",
        "priority",
        "status",
        "reason",
        "eligibility_list",
        "created_at",
    )
    inlines = (StatusChangeInline,)
    actions = ("allocate", "reject")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.applications_queue_for_staff(user=request.user)

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.allocate_view)
        return [path("<int:pk>/allocate/", view, name="housing_application_allocate"), *super().get_urls()]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # riders apply on their phone; staff change priority and allocate

    @admin.display(description=_("排队位次"), ordering="position")
    def position(self, obj: Application) -> int | None:
        return obj.position

    @admin.display(description=_("申请类型"), ordering="household_kind")
    def household(self, obj: Application) -> str:
        size = obj.household_size
        label = obj.get_household_kind_display()
        return label if size == 1 else _("%(kind)s · %(n)d 人") % {"kind": label, "n": size}

    @admin.display(description=_("申请时间"), ordering="created_at")
    def waiting(self, obj: Application) -> str:
        applied = f"{timezone.localtime(obj.created_at):%m-%d %H:%M}"
        return (
            format_html('<span style="white-space:nowrap">{}</span> · {}', applied, waiting_text(obj.created_at))
            if obj.is_open
            else applied
        )

    @admin.display(description=_("资格审核"))
    def eligibility_result(self, obj: Application) -> str:
        failed = [r["message"] for r in obj.eligibility or [] if not r.get("ok")]
        if not obj.eligibility:
            return "—"
        return format_html('<span style="color:#d93025">✗ {}</span>', "；".join(failed)) if failed else "✓"

    @admin.display(description=_("操作"))
    def allocate_link(self, obj: Application) -> str:
        if obj.status not in ALLOCATABLE:
            return ""
        url = reverse("admin:housing_application_allocate", args=[obj.pk])
        return format_html('<a class="button" style="white-space:nowrap" href="{}">{}</a>', url, _("分配床位"))

    @admin.display(description=_("同住人"))
    def household_members_text(self, obj: Application) -> str:
        return members_text(obj.household_members)

    @admin.display(description=_("资格审核结果"))
    def eligibility_list(self, obj: Application) -> str:
        return eligibility_html(obj.eligibility)

    @admin.action(description=_("驳回所选申请（不符合条件）"), permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet) -> None:
        rejected = 0
        for application in queryset:
            try:
                application_reject(application=application, actor=request.user)
                rejected += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{application.pk}: {exc}", messages.ERROR)
        self.message_user(request, _("已驳回 %(n)d 份申请。") % {"n": rejected}, messages.SUCCESS)

    @admin.action(description=_("分配床位/房间"), permissions=["change"])
    def allocate(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("请只选择一份申请进行分配。"), messages.ERROR)
            return None
        application = queryset.get()
        data = request.POST if ("apply" in request.POST or "offer" in request.POST) else None
        return self._allocation(request, application, data, from_action=True)

    def allocate_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """The allocation page of one application, opened from the queue's 分配床位 button."""
        application = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, application):
            return HttpResponse(status=403)
        data = request.POST if request.method == "POST" else None
        response = self._allocation(request, application, data, from_action=False)
        return response or HttpResponseRedirect(reverse("admin:housing_application_changelist"))

    def _allocation(
        self, request: HttpRequest, application: Application, data: Any, *, from_action: bool
    ) -> HttpResponse | None:
        """Show the applicant's needs and the free units (suitable first); on a valid post, allocate.

        Returns None when done (the caller goes back to the list, where the message shows)."""
        candidates = selectors.allocation_candidates(application=application, user=request.user)
        form = AllocateForm(data)
        if form.is_valid():
            kind, pk = form.cleaned_data["unit"].split(":")
            try:
                unit = (
                    {"bed": Bed.objects.for_user(request.user).get(pk=pk)}
                    if kind == "bed"
                    else {"room": Room.objects.for_user(request.user).get(pk=pk)}
                )
                if "offer" in data:
                    # The rider confirms on their phone before the deadline; the unit is held meanwhile.
                    offer = offer_make(application=application, actor=request.user, **unit)
                    deadline = timezone.localtime(offer.deadline)
                    done = _("已向 %(who)s 发出入住邀约：%(unit)s，答复截止 %(deadline)s。") % {
                        "who": application.rider,
                        "unit": offer.unit_label,
                        "deadline": f"{deadline:%Y-%m-%d %H:%M}",
                    }
                elif "bed" in unit:
                    lease = bed_allocate(bed=unit["bed"], application=application, actor=request.user)
                else:
                    lease = room_allocate(room=unit["room"], application=application, actor=request.user)
            except (ApplicationError, Bed.DoesNotExist, Room.DoesNotExist) as exc:
                message = str(exc) if isinstance(exc, ApplicationError) else str(_("该床位或房间不存在。"))
                self.message_user(request, message, messages.ERROR)
            else:
                if "offer" not in data:
                    done = _("已分配：%(unit)s（%(who)s）") % {"unit": lease.unit_label, "who": application.rider}
                self.message_user(request, done, messages.SUCCESS)
            return None
        suitable = [c for c in candidates if c["suitable"]]
        if from_action and data is None and not suitable:
            self.message_user(request, _("该申请的意向房型目前没有合适的空位。"), messages.WARNING)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("分配床位/房间：%(who)s") % {"who": application.rider},
            "application": application,
            "needs": selectors.applicant_needs(application=application),
            "waiting": waiting_text(application.created_at),
            "suitable": suitable,
            "unsuitable": [c for c in candidates if not c["suitable"]],
            "form": form,
            "opts": self.model._meta,
            "from_action": from_action,
            "can_offer": application.status == Application.Status.WAITLISTED,
            "offer_hours": settings.HOUSING_OFFER_HOURS,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "household_kinds": dict(HouseholdKind.choices),
        }
        return TemplateResponse(request, "admin/housing/allocate.html", context)


@admin.register(Offer)
class OfferAdmin(StreetScopedAdmin):
    list_display = ("id", "application", "unit", "deadline", "status", "responded_at")
    list_filter = ("status",)
    list_select_related = (
        "application__rider",
        "application__project",
        "bed__room__room_type__project",
        "room__room_type__project",
    )
    readonly_fields = ("application", "room_type", "bed", "room", "deadline", "status", "responded_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description=_("床位/房间"))
    def unit(self, obj: Offer) -> str:
        return obj.unit_label


@admin.register(Lease)
class LeaseAdmin(PersonalDataAdminMixin, SuperuserDeleteAdminMixin, StreetScopedAdmin):
    list_display = ("id", "tenant", "project", "unit", "start", "end", "monthly_rent", "status")
    list_filter = ("status", ProjectFilter)
    list_select_related = ("tenant", "project", "bed__room__room_type__project", "room__room_type__project")
    search_fields = ("tenant__phone", "tenant__name", "project__name")
    readonly_fields = (
        "project",
        "bed",
        "room",
        "tenant",
        "application",
        "status",
        "allocated_by",
        "ended_at",
        "ended_by",
    )
    actions = ("end_lease",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # leases come from allocation or an accepted offer

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # An active lease holds its bed: end it first (the bed goes back to the pool), then delete.
        return super().has_delete_permission(request, obj) and (obj is None or obj.status != Lease.Status.ACTIVE)

    @admin.display(description=_("床位/房间"))
    def unit(self, obj: Lease) -> str:
        return obj.unit_label

    @admin.action(description=_("办理退租（床位回到房源池并通知下一位）"), permissions=["change"])
    def end_lease(self, request: HttpRequest, queryset: QuerySet) -> None:
        ended = 0
        for lease in queryset.filter(status=Lease.Status.ACTIVE):
            try:
                lease_end(lease=lease, actor=request.user)
                ended += 1
            except ApplicationError as exc:
                self.message_user(request, f"#{lease.pk}: {exc}", messages.ERROR)
        self.message_user(request, _("已退租 %(n)d 份租约。") % {"n": ended}, messages.SUCCESS)
