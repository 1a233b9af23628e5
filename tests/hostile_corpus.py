"""Hostile texts a user can type after `/sco`, and the subcommand prefixes to put them behind.

Each entry tries to make the bot say something live to Slack (a mention, a broadcast, a
disguised link), break the block markup, or break the pipeline (size, control characters,
odd Unicode). Used by tests/slack/test_hostile_input.py.
"""

from __future__ import annotations

# Every `/sco` subcommand (and the empty prefix: the text itself is the "subcommand").
SUBCOMMAND_PREFIXES: tuple[str, ...] = (
    "",
    "brief ",
    "positions ",
    "upcoming ",
    "sources ",
    "compare ",
    "help ",
    "ask ",
    "remind ",
    "remind on ",
    "remind off ",
    "remind status ",
    "follow ",
    "unfollow ",
    "following ",
    "calendar ",
)

_MENTIONS_AND_BROADCASTS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!here|here>",
    "<!channel|channel>",
    "<@U012ABC>",
    "<@W123|bob>",
    "<!subteam^S123|@team>",
    "<!subteam^S123>",
    "<#C123|general>",
    "<#C123>",
    "<!date^1633942800^{date_short}|fallback>",
    "hey <!channel> please read this",
    "<<!channel>>",
    "<!channel",
    "<@U012ABC><@U012ABC><!here><!everyone>",
    "china<!here>",
]

_DISGUISED_LINKS = [
    "<https://evil.example|https://sco.int>",
    "<https://evil.example>",
    "<HTTPS://EVIL.EXAMPLE|SCO Secretariat>",
    # Looks like the project's own source link, but is not.
    "<http://eng.sectsco.org.evil.example/x|SCO Secretariat>",
    "<http://eng.sectsco.org/20210728/770367.html|click me>",
    "<mailto:a@b|x>",
    "<javascript:alert(1)|x>",
    "<tel:+100|call us>",
    "[click](https://evil.example)",
]

_ALREADY_ESCAPED = [
    "&lt;!channel&gt;",
    "&amp;lt;",
    "&lt;@U012ABC&gt;",
    "&#60;!here&#62;",
    "a & b > c < d",
]

_MRKDWN_CONTROL = [
    "*bold* _italic_ ~strike~",
    "```<!here>```",
    "`code` ``` unclosed fence",
    "> quoted <!channel>",
    ">>> quoted to the end",
    "::section",
    "::header\nowned",
    "x\n::section\n<!here>",
    "::divider\n::context\n<!everyone>",
    "china\n::header\nFAKE HEADER",
]

_ZERO_WIDTH = [
    "<!chan\u200bnel>",
    "<!\u200dhere>",
    "\ufeff<!everyone>",
    "<\u200b!channel>",
    "<@\u2060U012ABC>",
    "chi\u200bna",
    "<!ev\u00aderyone>",  # soft hyphen
]

_BIDI = [
    "\u202e<!channel>",
    "\u2066<!here>\u2069",
    "\u202egnirts desrever\u202c",
    "\u200f<@U012ABC>\u200e",
]

_CONTROL_CHARACTERS = [
    "\x00<!here>",
    "\x1b[31mred\x1b[0m <!channel>",
    "line one\r\nline two <!channel>",
    "tab\tseparated\t<!here>",
    "\x07\x08\x0b\x0c\x7f",
    "\u2028<!here>\u2029",
    "\x85next line",
]

_EMOJI_AND_COMBINING = [
    ":rotating_light: \U0001f6a8 <!channel>",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "Z\u0334\u0321\u031b\u0316a\u0335l\u0336g\u0337o\u0338",
    "e\u0301\u0301\u0301\u0301\u0301\u0301",
    "\uff1c!channel\uff1e",  # fullwidth < >
    "\ufe64!here\ufe65",  # small form < >
]

_SIZE = [
    "x" * 10_000,
    "<!here> " * 1_250,
    "a " * 5_000,
    "A" * 5_000,
    "\ufdfa" * 3_000,
    "https://" + "a" * 3_000 + ".example",
]

_INJECTION = [
    "{{ 7*7 }}",
    "{% raw %}<!here>{% endraw %}",
    "%(name)s %s {0} {}",
    "'; DROP TABLE subscriptions; --",
    "$(touch /tmp/pwned)",
    "\\<!channel>",
    '"<!channel>"',
]

_SUBCOMMANDS_WITH_JUNK = [
    "brief <!channel>",
    "brief ../../etc/passwd",
    "brief sco-defmin-2021-dushanbe <!here>",
    "positions <@U012ABC>",
    "positions china <!here>",
    "positions <https://evil.example|china>",
    "upcoming <!everyone> public",
    "sources <#C123|general>",
    "help <!subteam^S123|@team>",
    "remind on <!channel> at 25:99 tz <!here>",
    "remind on 99999d 2w at 09:00 tz Europe/Berlin",
    "remind on 7d at <!here>",
    "remind on tz ../../etc/localtime",
    "remind off <@U012ABC>",
    "remind status <https://evil.example|x>",
    "remind <!here>",
    "brief public public public",
    "PUBLIC",
    "public",
    "-h --help ?",
]

HOSTILE_TEXTS: list[str] = [
    *_MENTIONS_AND_BROADCASTS,
    *_DISGUISED_LINKS,
    *_ALREADY_ESCAPED,
    *_MRKDWN_CONTROL,
    *_ZERO_WIDTH,
    *_BIDI,
    *_CONTROL_CHARACTERS,
    *_EMOJI_AND_COMBINING,
    *_SIZE,
    *_INJECTION,
    *_SUBCOMMANDS_WITH_JUNK,
]

# Pieces that hypothesis mixes with arbitrary text (see tests/slack/test_hostile_input.py).
HOSTILE_FRAGMENTS: list[str] = [
    "<",
    ">",
    "&",
    "!",
    "@",
    "#",
    "|",
    "<!channel>",
    "<!here>",
    "<@U012ABC>",
    "<#C123|x>",
    "<https://evil.example|x>",
    "<mailto:a@b|x>",
    "&lt;",
    "&amp;",
    "::section",
    "::header",
    "\n",
    "\r\n",
    "\u200b",
    "\u202e",
    "\ufeff",
    "\x00",
    "`",
    "*",
    "public",
    "china",
]


def describe(text: str) -> str:
    """A short, printable id for a hostile text (for pytest ids and failure messages)."""
    shown = text.encode("unicode_escape").decode("ascii")
    return shown if len(shown) <= 40 else f"{shown[:32]}…({len(text)} chars)"


# The interactive surfaces (tests/slack/test_hostile_input.py, "surfaces"): every hostile text goes
# in as each of these, as Slack would carry it in a signed payload.
#   (kind, action_id or form field): a button's value, a menu's chosen option, a form field.
SURFACE_INPUTS: tuple[tuple[str, str], ...] = (
    ("button", "share"),
    ("button", "open_brief"),
    ("button", "open_positions"),
    ("button", "open_compare"),
    ("button", "remind_form"),
    ("button", "follow_form"),
    ("button", "stop_reminders"),
    ("select", "brief_meeting"),
    ("select", "positions_actor"),
    ("select", "positions_earlier"),
    ("form", "leads"),
    ("form", "at"),
    ("form", "tz"),
    ("form", "channel"),
    ("follow-form", "what"),
)
# Values a surface may carry that are neither text nor present: Slack's JSON is not ours.
ODD_VALUES: list[object] = [None, 7, ["brief"], {"value": "<!channel>"}, "", " ", "brief public"]
