"""`lanshou rules`: the profiles an installation knows (built-in and the operator's directory),
their rules in brief, and every figure of them that is assumed rather than sourced."""

from __future__ import annotations

from lanshou.domain.rules.loader import known_profiles
from lanshou.domain.rules.profile import Profile, Rule
from lanshou.enforcement.assumptions import DURATION_UNITS, assumption_lines, number
from lanshou.enforcement.rules_context import RulesContext
from lanshou.i18n import translate

__all__ = ["profile_listing"]


def _deadline(rule: Rule, locale: str | None) -> str:
    parts = []
    if rule.deadline_field is not None:
        parts.append(translate(locale, "the order's %(field)s", field=rule.deadline_field.value))
    if rule.duration is not None and rule.start is not None:
        parts.append(
            translate(
                locale,
                "%(duration)s after %(start)s",
                # the words the assumed figures use: 48 小时 / 48 h, 2 个工作日 / 2 working days
                duration=translate(
                    locale, DURATION_UNITS[rule.duration.unit], n=number(rule.duration.hours)
                ),
                start=rule.start.value,
            )
        )
    return translate(locale, " or ").join(parts)


def _profile_lines(profile: Profile, locale: str | None) -> list[str]:
    lines = [
        translate(
            locale,
            "%(name)s — time zone %(tz)s, calendar %(calendar)s",
            name=profile.name,
            tz=profile.timezone,
            calendar=profile.calendar,
        )
    ]
    for rule in profile.rules:
        text = translate(
            locale,
            "deadline %(deadline)s, met by %(fact)s",
            deadline=_deadline(rule, locale),
            fact=rule.satisfied_by.value,
        )
        # "发货超时 · 截止：…" in Chinese, no colon after a colon
        label = translate(locale, "%(rule)s: %(text)s", rule=rule.label(locale or ""), text=text)
        lines.append(f"  {rule.id} {label}")
    assumed = assumption_lines(profile, locale)
    if assumed:
        lines.append("  " + translate(locale, "Assumed figures (no source gives them):"))
        lines.extend(f"    {line}" for line in assumed)
    else:
        lines.append("  " + translate(locale, "Every figure cites a source."))
    return lines


def profile_listing(ctx: RulesContext, locale: str | None, name: str | None = None) -> list[str]:
    """The listing of one profile, or of every known one, in `locale`."""
    names = [name] if name is not None else known_profiles(ctx.rules_dirs)
    out: list[str] = []
    for n in names:
        if out:
            out.append("")
        out.extend(_profile_lines(ctx.profile(n), locale))
    return out
