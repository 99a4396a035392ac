"""Apple Podcasts categories and subcategories, as Apple Podcasts Connect lists them today.

The list was reorganised in 2019 (Fiction, History, True Crime, Leisure, ...); feeds that
still name the older categories ("Games & Hobbies", "Science & Medicine") land nowhere.
Names are case sensitive and must match exactly, ampersands included.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

APPLE_CATEGORIES: dict[str, tuple[str, ...]] = {
    "Arts": ("Books", "Design", "Fashion & Beauty", "Food", "Performing Arts", "Visual Arts"),
    "Business": (
        "Careers",
        "Entrepreneurship",
        "Investing",
        "Management",
        "Marketing",
        "Non-Profit",
    ),
    "Comedy": ("Comedy Interviews", "Improv", "Stand-Up"),
    "Education": ("Courses", "How To", "Language Learning", "Self-Improvement"),
    "Fiction": ("Comedy Fiction", "Drama", "Science Fiction"),
    "Government": (),
    "History": (),
    "Health & Fitness": (
        "Alternative Health",
        "Fitness",
        "Medicine",
        "Mental Health",
        "Nutrition",
        "Sexuality",
    ),
    "Kids & Family": ("Education for Kids", "Parenting", "Pets & Animals", "Stories for Kids"),
    "Leisure": (
        "Animation & Manga",
        "Automotive",
        "Aviation",
        "Crafts",
        "Games",
        "Hobbies",
        "Home & Garden",
        "Video Games",
    ),
    "Music": ("Music Commentary", "Music History", "Music Interviews"),
    "News": (
        "Business News",
        "Daily News",
        "Entertainment News",
        "News Commentary",
        "Politics",
        "Sports News",
        "Tech News",
    ),
    "Religion & Spirituality": (
        "Buddhism",
        "Christianity",
        "Hinduism",
        "Islam",
        "Judaism",
        "Religion",
        "Spirituality",
    ),
    "Science": (
        "Astronomy",
        "Chemistry",
        "Earth Sciences",
        "Life Sciences",
        "Mathematics",
        "Natural Sciences",
        "Nature",
        "Physics",
        "Social Sciences",
    ),
    "Society & Culture": (
        "Documentary",
        "Personal Journals",
        "Philosophy",
        "Places & Travel",
        "Relationships",
    ),
    "Sports": (
        "Baseball",
        "Basketball",
        "Cricket",
        "Fantasy Sports",
        "Football",
        "Golf",
        "Hockey",
        "Rugby",
        "Running",
        "Soccer",
        "Swimming",
        "Tennis",
        "Volleyball",
        "Wilderness",
        "Wrestling",
    ),
    "Technology": (),
    "True Crime": (),
    "TV & Film": ("After Shows", "Film History", "Film Interviews", "Film Reviews", "TV Reviews"),
}


def category_problem(parts: tuple[str, ...]) -> str | None:
    """Why (category,) or (category, subcategory) is not on Apple's list, or None."""
    main = parts[0]
    if main not in APPLE_CATEGORIES:
        return f"{main!r} is not an Apple Podcasts category{_suggest(main, APPLE_CATEGORIES)}"
    if len(parts) > 1:
        sub = parts[1]
        allowed = APPLE_CATEGORIES[main]
        if not allowed:
            return f"{main!r} has no subcategories; use [{main!r}] alone"
        if sub not in allowed:
            return f"{sub!r} is not a subcategory of {main!r}{_suggest(sub, allowed)}"
    return None


def _suggest(name: str, choices: Iterable[str]) -> str:
    names = list(choices)
    folded = {choice.casefold(): choice for choice in names}
    close = folded.get(name.casefold()) or next(
        iter(difflib.get_close_matches(name, names, n=1, cutoff=0.6)), None
    )
    return f" (did you mean {close!r}?)" if close else ""
