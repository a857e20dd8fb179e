"""Alerts shown on the admin index: things an operator must act on."""

from __future__ import annotations

from django import template

from exchange.clearing.models import DeadLetter

register = template.Library()


@register.simple_tag
def unresolved_dead_letters() -> int:
    return DeadLetter.objects.filter(resolved_at__isnull=True).count()
