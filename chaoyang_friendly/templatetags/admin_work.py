"""Template tags of the admin index and header (chaoyang_friendly/admin_index.py)."""

from typing import Any

from django import template

from chaoyang_friendly import admin_index

register = template.Library()


@register.simple_tag(takes_context=True)
def admin_work_counts(context: Any) -> list[admin_index.WorkCount]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return admin_index.work_counts(user) if user is not None and user.is_authenticated else []


@register.simple_tag(takes_context=True)
def admin_tool_links(context: Any) -> list[admin_index.ToolLink]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return admin_index.tool_links(user) if user is not None and user.is_authenticated else []


@register.simple_tag(takes_context=True)
def staff_greeting(context: Any) -> dict[str, str]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None or not user.is_authenticated:
        return {"name": "", "street": "", "role": ""}
    return admin_index.greeting(request, user)
