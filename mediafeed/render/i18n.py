"""Every user-visible word of pages and newsletter blocks, with date and duration formats."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DEFAULT_LANGUAGE = "en"

# (singular, plural) for hours, minutes and seconds.
_UNITS: dict[str, dict[str, tuple[str, str]]] = {
    "en": {"h": ("hour", "hours"), "min": ("minute", "minutes"), "s": ("second", "seconds")},
    "nl": {"h": ("uur", "uur"), "min": ("minuut", "minuten"), "s": ("seconde", "seconden")},
}

_TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "skip_to_content": "Skip to content",
        "cta": "Listen to the episode",
        "listen": "Listen",
        "watch": "Watch",
        "download": "Download the episode ({kind}, {size})",
        "no_player": "Your browser cannot play this file here; use the download link.",
        "published": "Published",
        "duration": "Duration",
        "show_notes": "About this episode",
        "chapters": "Chapters",
        "transcript": "Transcript",
        "transcript_file": "Transcript as a file",
        "people": "People",
        "episodes": "Episodes",
        "no_episodes": "No episodes have been published yet.",
        "all_episodes": "All episodes",
        "newest_episodes": "Latest episodes",
        "by_year": "All episodes by year",
        "year_title": "Episodes of {year}",
        "subscribe": "Subscribe",
        "subscribe_intro": "Follow the podcast in your favourite app, or use the RSS feed.",
        "rss_feed": "RSS feed",
        "cover_of": "Cover art of {title}",
        "season_episode": "Season {season}, episode {episode}",
        "episode_number": "Episode {episode}",
        "trailer": "Trailer",
        "bonus": "Bonus",
        "breadcrumb": "Breadcrumb",
        "privacy": "This page uses no cookies and no trackers, and loads nothing from elsewhere.",
        "transcript_draft": "Automatically generated, not yet reviewed.",
        "access_title": "Accessibility statement",
        "access_intro": "{show} wants its website, feed and episodes to be usable by everyone. "
        "This statement follows WCAG 2.1 level AA (EN 301 549).",
        "access_status_heading": "Status",
        "access_status_compliant": "This website fully meets WCAG 2.1 level AA.",
        "access_status_partial": "This website partially meets WCAG 2.1 level AA.",
        "access_status_none": "This website does not yet meet WCAG 2.1 level AA.",
        "access_checked": "Last checked on {date}.",
        "access_not_checked": "The website has not been checked yet.",
        "access_transcripts_heading": "Text alternatives",
        "access_transcripts": "{count} of {total} episodes have a transcript.",
        "access_drafts": "Generated automatically and not yet reviewed: {count}.",
        "access_limitations": "Known limitations",
        "access_contact_heading": "Report a problem",
        "access_contact": "Something you cannot use? Tell us:",
        "gone_title": "No longer available",
        "gone_text": "This episode of {show} is no longer available.",
        "role_host": "host",
        "role_guest": "guest",
        "role_producer": "producer",
        "role_editor": "editor",
        "full_page": "The episode's page",
        "license": "License",
        "discuss": "Join the conversation",
        "soundbites": "Highlights",
        "date": "{month} {day}, {year}",
        "months": "January February March April May June July August September October November December",
        "decimal_mark": ".",
    },
    "nl": {
        "skip_to_content": "Direct naar de inhoud",
        "cta": "Hier vindt u de podcast",
        "listen": "Beluister",
        "watch": "Bekijk",
        "download": "Download de aflevering ({kind}, {size})",
        "no_player": "Uw browser kan dit bestand hier niet afspelen; gebruik de downloadlink.",
        "published": "Gepubliceerd",
        "duration": "Duur",
        "show_notes": "Over deze aflevering",
        "chapters": "Hoofdstukken",
        "transcript": "Uitgeschreven tekst",
        "transcript_file": "Uitgeschreven tekst als bestand",
        "people": "Met medewerking van",
        "episodes": "Afleveringen",
        "no_episodes": "Er zijn nog geen afleveringen gepubliceerd.",
        "all_episodes": "Alle afleveringen",
        "newest_episodes": "Nieuwste afleveringen",
        "by_year": "Alle afleveringen per jaar",
        "year_title": "Afleveringen uit {year}",
        "subscribe": "Abonneren",
        "subscribe_intro": "Volg de podcast in uw favoriete app, of gebruik de RSS-feed.",
        "rss_feed": "RSS-feed",
        "cover_of": "Omslagafbeelding van {title}",
        "season_episode": "Seizoen {season}, aflevering {episode}",
        "episode_number": "Aflevering {episode}",
        "trailer": "Trailer",
        "bonus": "Bonus",
        "breadcrumb": "Kruimelpad",
        "privacy": "Deze pagina gebruikt geen cookies en geen trackers, en laadt niets van elders.",
        "transcript_draft": "Automatisch gemaakt, nog niet nagekeken.",
        "access_title": "Toegankelijkheidsverklaring",
        "access_intro": "{show} wil dat iedereen de website, de feed en de afleveringen kan "
        "gebruiken. Deze verklaring volgt WCAG 2.1 niveau AA (EN 301 549).",
        "access_status_heading": "Status",
        "access_status_compliant": "Deze website voldoet volledig aan WCAG 2.1 niveau AA.",
        "access_status_partial": "Deze website voldoet gedeeltelijk aan WCAG 2.1 niveau AA.",
        "access_status_none": "Deze website voldoet nog niet aan WCAG 2.1 niveau AA.",
        "access_checked": "Laatst onderzocht op {date}.",
        "access_not_checked": "De website is nog niet onderzocht.",
        "access_transcripts_heading": "Tekstalternatieven",
        "access_transcripts": "{count} van de {total} afleveringen hebben een uitgeschreven tekst.",
        "access_drafts": "Automatisch gemaakt en nog niet nagekeken: {count}.",
        "access_limitations": "Bekende beperkingen",
        "access_contact_heading": "Een probleem melden",
        "access_contact": "Lukt iets niet? Laat het ons weten:",
        "gone_title": "Niet meer beschikbaar",
        "gone_text": "Deze aflevering van {show} is niet meer beschikbaar.",
        "role_host": "presentatie",
        "role_guest": "gast",
        "role_producer": "productie",
        "role_editor": "redactie",
        "full_page": "Naar de pagina van de aflevering",
        "license": "Licentie",
        "discuss": "Praat mee",
        "soundbites": "Fragmenten",
        "date": "{day} {month} {year}",
        "months": "januari februari maart april mei juni juli augustus september oktober november december",
        "decimal_mark": ",",
    },
}


# Languages written right to left: their pages say so, so that notes and titles read in order.
_RIGHT_TO_LEFT = frozenset("ar arc ckb dv fa he ks ku ps sd ug ur yi".split())


def writes_right_to_left(language: str | None) -> bool:
    return (language or "").replace("_", "-").split("-", 1)[0].lower() in _RIGHT_TO_LEFT


def resolve_language(language: str | None) -> str:
    """The supported language for a tag: `nl-NL` falls back to `nl`, unknown ones to English."""
    base = (language or "").strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in _TEXTS else DEFAULT_LANGUAGE


def timestamp(seconds: float) -> str:
    """A player-style position: `4:05` or `1:02:03`."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: float) -> str:
    """An ISO 8601 duration for machine-readable `<time datetime>` values."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"


@dataclass(frozen=True)
class Locale:
    """Texts and formats for one language, handed to templates as `loc`."""

    code: str

    @classmethod
    def for_language(cls, language: str | None) -> Locale:
        return cls(resolve_language(language))

    def text(self, key: str, **values: object) -> str:
        template = _TEXTS[self.code].get(key) or _TEXTS[DEFAULT_LANGUAGE][key]
        return template.format(**values) if values else template

    def role(self, role: str) -> str:
        """A person's role in this language; roles we do not know are shown as given."""
        return _TEXTS[self.code].get(f"role_{role.lower()}", role)

    def date(self, when: dt.date) -> str:
        """A long date as readers write it: `2 november 2021`, `November 2, 2021`."""
        month = self.text("months").split()[when.month - 1]
        return self.text("date", month=month, day=when.day, year=when.year)

    def duration(self, seconds: float) -> str:
        """A rounded, spoken duration: `25 minuten`, `1 hour 5 minutes`, `40 seconds`."""
        units = _UNITS[self.code]
        if seconds < 59.5:
            secs = max(1, round(seconds))
            return f"{secs} {units['s'][secs != 1]}"
        hours, minutes = divmod(round(seconds / 60), 60)
        parts = []
        if hours:
            parts.append(f"{hours} {units['h'][hours != 1]}")
        if minutes or not hours:
            parts.append(f"{minutes} {units['min'][minutes != 1]}")
        return " ".join(parts)

    def size(self, length: int) -> str:
        """A file size in megabytes with the language's decimal mark: `23,5 MB`."""
        megabytes = length / 1_000_000
        text = f"{megabytes:.1f}" if megabytes < 10 else f"{megabytes:.0f}"
        return f"{text.replace('.', self.text('decimal_mark'))} MB"
