"""Demo rows for the site's legacy tables, written the way years of a PHP site would have left them."""

from __future__ import annotations

import base64
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import bcrypt
from django.conf import settings
from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

from legacy.fields import MYSQL_ZERO_DATETIME
from legacy.schema import LEGACY_TABLES, existing_legacy_tables

DEFAULT_USERS = 300
DEFAULT_NOTES = 3000
DEFAULT_SEED = 20140301

SITE_OPENED = datetime(2009, 1, 1, tzinfo=UTC)
SITE_LATEST = datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC)
# The site switched to password_hash() in 2013; accounts not signed in since kept their md5 digest.
BCRYPT_SINCE = datetime(2013, 1, 1, tzinfo=UTC)
# PHP's password_hash() default cost.
BCRYPT_COST = 10


# --- Fixed accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoAccount:
    """A demo account whose password is known, for signing in to the demo stack."""

    username: str
    email: str
    password: str
    display_name: str
    created_at: datetime
    last_login: datetime
    is_admin: bool = False
    # "bcrypt" (PHP password_hash(), "$2y$10$...") or "md5" (unsalted hex digest, pre-2013).
    hashing: str = "bcrypt"


DEMO_SITE_ADMIN = DemoAccount(
    username="siteadmin",
    email="admin@example.com",
    password="lambridge-admin",  # noqa: S106
    display_name="Site Admin",
    created_at=datetime(2009, 1, 5, 11, 0, tzinfo=UTC),
    last_login=datetime(2025, 11, 30, 9, 12, tzinfo=UTC),
    is_admin=True,
)
DEMO_USER = DemoAccount(
    username="demo",
    email="demo@example.com",
    password="lambridge-demo",  # noqa: S106
    display_name="Zoë Demo",
    created_at=datetime(2013, 9, 10, 8, 0, tzinfo=UTC),
    last_login=datetime(2025, 11, 30, 9, 12, tzinfo=UTC),
)
DEMO_MD5_USER = DemoAccount(
    username="oldtimer",
    email="oldtimer@example.com",
    password="sunshine2009",  # noqa: S106
    display_name="Old Timer",
    created_at=datetime(2010, 5, 4, 9, 30, tzinfo=UTC),
    last_login=datetime(2012, 8, 19, 17, 3, tzinfo=UTC),
    # A site admin still on a pre-2013 md5 hash: signing in to the Django admin with the site
    # password upgrades it to PHP's bcrypt, which staff can watch happen on the demo stack.
    is_admin=True,
    hashing="md5",
)
DEMO_ACCOUNTS = (DEMO_SITE_ADMIN, DEMO_USER, DEMO_MD5_USER)

# Everyone else's passwords: a small pool, because bcrypt at cost 10 is slow on purpose.
DEMO_BCRYPT_PASSWORDS = ("password1", "letmein2014", "summer-holiday", "Pa55w0rd!", "qwerty123", "correct horse")
DEMO_MD5_PASSWORDS = ("sunshine2009", "password", "123456", "iloveyou", "monkey", "dragon")


# --- Vocabulary -----------------------------------------------------------------------------

# display_name is 3-byte utf8: accents and other scripts, never emoji. (name, username stem)
PEOPLE = (
    ("Emma Thompson", "emma"),
    ("Oliver Smith", "oliver"),
    ("Sophie Martin", "sophie"),
    ("James Wilson", "james"),
    ("Amelia Brown", "amelia"),
    ("Liam O'Connor", "liam"),
    ("Priya Sharma", "priya"),
    ("Wei Zhang", "wei"),
    ("José Muñoz", "jose"),
    ("Zoë Brontë", "zoe"),
    ("François Lefèvre", "francois"),
    ("Chloé Dubois", "chloe"),
    ("Søren Kjær", "soren"),
    ("Björn Ångström", "bjorn"),
    ("Jürgen Weiß", "juergen"),
    ("Mia Müller", "mia"),
    ("Ana Conceição", "ana"),
    ("Siobhán Ní Bhriain", "siobhan"),
    ("Małgorzata Wójcik", "gosia"),
    ("Łukasz Nowak", "lukasz"),
    ("Nguyễn Văn An", "an"),
    ("Γιώργος Παπαδόπουλος", "giorgos"),
    ("Ελένη Νικολάου", "eleni"),
    ("Анна Смирнова", "anna"),
    ("Дмитрий Иванов", "dmitry"),
    ("山田 太郎", "taro"),
    ("佐藤 花子", "hanako"),
    ("김민준", "minjun"),
    ("محمد علي", "mohamed"),
    ("שרה כהן", "sarah"),
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

PLACES = ("Brighton", "Lisbon", "Kyoto", "Edinburgh", "the lake", "Vancouver", "Cape Town", "Porto", "Berlin", "Oslo")
DISHES = ("apple pie", "lentil soup", "banana bread", "pad thai", "risotto", "shortbread", "paella", "fish pie")
TOPICS = ("the garden", "the kitchen", "summer", "the kids' party", "work", "the new flat", "winter", "the blog")
HEADLINES = (
    "Weekend in {place}",
    "Notes from {place}",
    "Photos from {place}",
    "Trip planning: {place}",
    "My {dish} recipe",
    "Trying a new {dish}",
    "Ideas for {topic}",
    "Things to do for {topic}",
    "Reading list",
    "Shopping list",
    "Meeting notes",
    "Random thoughts",
    "Birthday plans",
    "Running log",
)
SENTENCES = (
    "We left early to beat the traffic and it paid off.",
    "The weather was better than the forecast said.",
    "Don't forget to charge the camera batteries next time.",
    "Sam says the second half of the book is much better.",
    "Bought flour, eggs, butter and far too much chocolate.",
    "The recipe says 180 degrees but our oven runs hot.",
    "Took the long way home along the river.",
    "Need to call the landlord about the boiler again.",
    "The kids loved the museum, especially the dinosaurs.",
    "It rained all afternoon so we stayed in and played cards.",
    "Remember: the market is closed on Mondays.",
    "Found a great little place for breakfast near the station.",
    "Ran 5k this morning, a new personal best!",
    "Planted the tomatoes; fingers crossed for sunshine.",
    "Wrote down everything we talked about so nothing gets lost.",
    "Tickets are booked, hotel still to sort out.",
    "Mum's version uses twice as much cinnamon.",
    "The view from the top was worth every step.",
    "Back to work tomorrow, so an early night.",
    'Ask Chris whether the "big" tent is still free that weekend.',
)
# Text the old site received over a latin1 connection: Western European accents, the euro sign
# and Word's curly quotes, all of which MariaDB's latin1 (really cp1252) holds.
LATIN1_HEADLINES = (
    "Crème brûlée à la maison",
    "Weekend in Zürich",
    "Año nuevo en España",
    "Café Ñandú opened today",
    "Straße des 17. Juni",
    "Garçon, l’addition s’il vous plaît",
    "Concert tickets: 45 € each",
    "Über den Wolken",
    "Smörgåsbord for the party",
    "Piñata for Lucía’s birthday",
    "Façade photos from Porto",
    "Größe 42 — zu klein",
)
LATIN1_SENTENCES = (
    "We had crème brûlée and a café au lait on the terrace.",
    "The tickets were 12 € each, cheaper than last year.",
    "Müller’s bakery on the corner still sells the best Brötchen.",
    "Señora Núñez said the piñata was far too big for the car.",
    "Don’t forget: the façade tour starts at 10 o’clock.",
    "The Straße was closed again — we took the U-Bahn instead.",
    "Jürgen brought smörgåsbord and a bottle of Glühwein.",
    "“Ça va?” she asked, and we all laughed.",
)
TAGS = (
    "travel",
    "recipes",
    "café",
    "family",
    "work",
    "ideas",
    "books",
    "music",
    "garden",
    "photos",
    "kids",
    "holiday",
    "weekend",
    "shopping",
    "fitness",
    "running",
    "cycling",
    "beach",
    "mountains",
    "food",
    "birthday",
    "diy",
    "pets",
    "cats",
    "dogs",
    "movies",
    "school",
    "todo",
    "smörgåsbord",
    "archive",
)
PHOTO_NAMES = ("beach", "sunset", "cat", "dog", "cake", "garden", "mountain", "party", "kids", "snow", "view")
PHOTO_EXTENSIONS = ("jpg", "jpg", "jpg", "JPG", "jpeg", "png")
IP_ADDRESSES = (
    "192.0.2.14",
    "192.0.2.201",
    "198.51.100.7",
    "198.51.100.88",
    "203.0.113.42",
    "203.0.113.250",
    "2001:db8::1",
    "2001:db8:85a3::8a2e:370:7334",
    "2001:db8:0:1:1:1:1:1",
    "::ffff:192.0.2.128",
)


@dataclass(frozen=True)
class DemoNote:
    """A hand-written note of DEMO_USER's, so the demo always has the same few to show."""

    headline: str
    body: str
    visibility: str
    created_at: datetime
    photo_path: str | None = None
    tags: tuple[str, ...] = ()


DEMO_USER_NOTES = (
    DemoNote(
        "Beach day in Brighton",
        "Sun all day, which never happens in March.\r\n\r\nSwam for five minutes. Cold!\r\n\r\nChips on the pier.",
        "public",
        datetime(2014, 3, 15, 14, 2, 11, tzinfo=UTC),
        photo_path="uploads/2014/03/beach.jpg",
        tags=("beach", "photos", "travel"),
    ),
    DemoNote(
        "Grandma's apple pie",
        "Six apples, a little lemon, lots of cinnamon.\n\nBake for 45 minutes until golden.",
        "public",
        datetime(2015, 11, 2, 18, 30, tzinfo=UTC),
        tags=("family", "recipes"),
    ),
    DemoNote(
        "Crème brûlée, finally",
        "After three tries the crème brûlée worked.\r\n\r\nThe blowtorch cost 25 € and was worth it.",
        "public",
        datetime(2016, 2, 14, 21, 5, tzinfo=UTC),
        tags=("café", "recipes"),
    ),
    DemoNote(
        "Running log: spring",
        "Week 1: 3 x 5k.\nWeek 2: 3 x 6k.\n\nKnee is fine so far.",
        "private",
        datetime(2019, 4, 1, 7, 15, tzinfo=UTC),
        photo_path="uploads/2019/04/IMG_2041.jpg",
        tags=("fitness", "running"),
    ),
    DemoNote(
        "Gift ideas for Sam",
        "A good pen.\n\nThe book about lighthouses.\n\nNot socks again.",
        "private",
        datetime(2021, 12, 1, 20, 0, tzinfo=UTC),
        tags=("family", "shopping"),
    ),
    DemoNote(
        "Things to fix in the flat",
        "Dripping tap in the bathroom.\r\n\r\nWobbly shelf in the hall.\r\n\r\nPaint the back door.",
        "private",
        datetime(2023, 6, 18, 10, 45, tzinfo=UTC),
        tags=("diy", "todo"),
    ),
)


# --- Rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserRow:
    user_id: int
    email: str
    username: str
    password: str
    display_name: str | None
    status: str
    is_admin: bool
    created_at: datetime | None  # None: the zero date
    last_login: datetime | None


@dataclass(frozen=True)
class NoteRow:
    note_id: int
    user_id: int
    headline: str
    body: str
    photo_path: str | None
    visibility: str
    created_at: datetime | None  # None: the zero date
    updated_at: datetime
    deleted: bool
    tags: tuple[str, ...]

    @property
    def latin1(self) -> bool:
        """Whether the text needs more than ASCII, so the old site sent it over latin1."""
        return not (self.headline + self.body).isascii()


@dataclass(frozen=True)
class LoginRow:
    user_id: int
    ip: str
    at: datetime


@dataclass(frozen=True)
class DemoSummary:
    """What the legacy tables hold (counted in the database, not remembered from the load)."""

    users: int
    md5_users: int
    suspended: int
    deleted: int
    admins: int
    notes: int
    tags: int
    photos: int
    zero_date_users: int
    zero_date_notes: int
    latin1_rows: int  # notes whose headline or body needs more than ASCII
    deleted_notes: int
    logins: int

    def describe(self) -> str:
        return ", ".join(f"{field.name.replace('_', ' ')}: {getattr(self, field.name)}" for field in fields(self))


class LegacyTablesMissingError(RuntimeError):
    """The legacy tables are not there to fill."""


# --- Public API -----------------------------------------------------------------------------


def load_demo_data(
    *,
    using: str | None = None,
    users: int = DEFAULT_USERS,
    notes: int = DEFAULT_NOTES,
    seed: int = DEFAULT_SEED,
    replace: bool = False,
) -> DemoSummary:
    """Fill the legacy tables on ``using`` (default: settings.LEGACY_DATABASE_ALIAS) with demo rows.

    Does nothing when ``users`` already holds rows, unless ``replace`` deletes every legacy row
    first. The same seed always gives the same rows, ids included. Writes plain SQL, as PHP does.
    """
    if users < len(DEMO_ACCOUNTS):
        raise ValueError(f"users must be at least {len(DEMO_ACCOUNTS)} (the fixed demo accounts).")
    connection = _legacy_connection(using)
    _require_legacy_tables(connection)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if replace:
            _delete_legacy_rows(cursor)
        elif _count(cursor, "SELECT COUNT(*) FROM users"):
            return _summarise(connection, cursor)
        user_rows = build_users(random.Random(f"{seed}:users"), count=users, first_id=_next_id(cursor, "users"))
        note_rows = build_notes(
            random.Random(f"{seed}:notes"), users=user_rows, count=notes, first_id=_next_id(cursor, "notes")
        )
        login_rows = build_logins(random.Random(f"{seed}:logins"), users=user_rows)
        _insert_users(cursor, user_rows, connection)
        _insert_notes(cursor, note_rows, connection)
        _insert_tags(cursor, note_rows)
        _insert_logins(cursor, login_rows)
        return _summarise(connection, cursor)


def demo_data_summary(*, using: str | None = None) -> DemoSummary:
    """Count what the legacy tables on ``using`` hold now."""
    connection = _legacy_connection(using)
    _require_legacy_tables(connection)
    with connection.cursor() as cursor:
        return _summarise(connection, cursor)


# --- Building rows --------------------------------------------------------------------------


def build_users(rng: random.Random, *, count: int, first_id: int) -> list[UserRow]:
    """The fixed demo accounts first, then ``count`` minus them site users, oldest first."""
    fixed = [_fixed_user(account, first_id + index) for index, account in enumerate(DEMO_ACCOUNTS)]
    signups = sorted(_between(rng, SITE_OPENED, SITE_LATEST) for _ in range(count - len(fixed)))
    next_id = first_id + len(fixed)
    indexes = range(len(signups))
    early = [i for i in indexes if signups[i] < BCRYPT_SINCE]
    md5 = set(rng.sample(early, min(len(early), _share(len(signups), 0.10))))
    # Many rows from the early years were written before created_at had a value: the zero date.
    zero_date = set(rng.sample(early, min(len(early), _share(len(signups), 0.15, minimum=0))))
    others = [i for i in indexes if i not in md5]
    admins = set(rng.sample(others, min(len(others), _share(len(signups), 0.02))))
    ordinary = [i for i in others if i not in admins]
    suspended = set(rng.sample(ordinary, min(len(ordinary), _share(len(signups), 0.03))))
    ordinary = [i for i in ordinary if i not in suspended]
    deleted = set(rng.sample(ordinary, min(len(ordinary), _share(len(signups), 0.03))))

    rows = list(fixed)
    for i, signed_up in enumerate(signups):
        user_id = next_id + i
        name, stem = rng.choice(PEOPLE)
        username = f"{stem}{user_id}"
        status = "suspended" if i in suspended else "deleted" if i in deleted else "active"
        rows.append(
            UserRow(
                user_id=user_id,
                email=f"{username}@{rng.choice(EMAIL_DOMAINS)}",
                username=username,
                password=_md5_hex(rng.choice(DEMO_MD5_PASSWORDS)) if i in md5 else rng.choice(_bcrypt_pool()),
                display_name=None if rng.random() < 0.08 else name,
                status=status,
                is_admin=i in admins,
                created_at=None if i in zero_date else signed_up,
                last_login=_last_login(rng, signed_up, md5=i in md5),
            )
        )
    return rows


def build_notes(rng: random.Random, *, users: Sequence[UserRow], count: int, first_id: int) -> list[NoteRow]:
    """DEMO_USER's hand-written notes, then notes spread unevenly over the other users."""
    demo_user = next(user for user in users if user.username == DEMO_USER.username)
    rows = [_fixed_note(note, first_id + index, demo_user.user_id) for index, note in enumerate(DEMO_USER_NOTES)]
    rows = rows[:count]
    authors = [user for user in users if user.user_id != demo_user.user_id]
    # A few people write most of the notes.
    weights = [rng.paretovariate(1.3) for _ in authors]
    generated = max(0, count - len(rows))
    zero_date = set(rng.sample(range(generated), _share(generated, 0.03)))
    latin1 = set(rng.sample(range(generated), _share(generated, 0.03)))
    used_photo_paths = {row.photo_path for row in rows}
    for i in range(generated):
        author = rng.choices(authors, weights)[0]
        rows.append(
            _generated_note(
                rng,
                note_id=first_id + len(rows),
                author=author,
                zero_date=i in zero_date,
                latin1=i in latin1,
                used_photo_paths=used_photo_paths,
            )
        )
    return rows


def build_logins(rng: random.Random, *, users: Sequence[UserRow]) -> list[LoginRow]:
    """One or two sign-ins per user who ever signed in, the last one at ``last_login``."""
    rows: list[LoginRow] = []
    for user in users:
        if user.last_login is None:
            continue
        times = {user.last_login}
        earlier = user.last_login - timedelta(days=rng.randrange(1, 400), seconds=rng.randrange(86400))
        if rng.random() < 0.5 and earlier > (user.created_at or SITE_OPENED):
            times.add(earlier)
        rows.extend(LoginRow(user.user_id, rng.choice(IP_ADDRESSES), at) for at in sorted(times))
    return rows


def _fixed_user(account: DemoAccount, user_id: int) -> UserRow:
    if account.hashing == "md5":
        password = _md5_hex(account.password)
    else:
        password = _php_bcrypt(account.password, _salt(random.Random(f"salt:{account.username}")))
    return UserRow(
        user_id=user_id,
        email=account.email,
        username=account.username,
        password=password,
        display_name=account.display_name,
        status="active",
        is_admin=account.is_admin,
        created_at=account.created_at,
        last_login=account.last_login,
    )


def _last_login(rng: random.Random, signed_up: datetime, *, md5: bool) -> datetime | None:
    """When the user last signed in, consistent with the hash: signing in since 2013 rehashed md5."""
    if md5:
        return None if rng.random() < 0.5 else _between(rng, signed_up, max(signed_up, BCRYPT_SINCE - timedelta(1)))
    if signed_up < BCRYPT_SINCE:
        return _between(rng, BCRYPT_SINCE, SITE_LATEST)
    return None if rng.random() < 0.2 else _between(rng, signed_up, SITE_LATEST)


def _fixed_note(note: DemoNote, note_id: int, user_id: int) -> NoteRow:
    return NoteRow(
        note_id=note_id,
        user_id=user_id,
        headline=note.headline,
        body=note.body,
        photo_path=note.photo_path,
        visibility=note.visibility,
        created_at=note.created_at,
        updated_at=note.created_at,
        deleted=False,
        tags=note.tags,
    )


def _generated_note(
    rng: random.Random,
    *,
    note_id: int,
    author: UserRow,
    zero_date: bool,
    latin1: bool,
    used_photo_paths: set[str | None],
) -> NoteRow:
    written = _between(rng, author.created_at or SITE_OPENED, SITE_LATEST)
    edited = written if rng.random() < 0.7 else min(SITE_LATEST, written + timedelta(days=rng.randrange(1, 400)))
    photo_path = _photo_path(rng, written, used_photo_paths) if rng.random() < 0.2 else None
    used_photo_paths.add(photo_path)
    return NoteRow(
        note_id=note_id,
        user_id=author.user_id,
        headline=_headline(rng, latin1=latin1),
        body=_body(rng, latin1=latin1),
        photo_path=photo_path,
        visibility="public" if rng.random() < 0.4 else "private",
        created_at=None if zero_date else written,
        updated_at=edited,
        deleted=rng.random() < 0.06,
        tags=tuple(sorted(rng.sample(TAGS, rng.choices(range(5), weights=(30, 30, 20, 12, 8))[0]))),
    )


def _headline(rng: random.Random, *, latin1: bool) -> str:
    if latin1:
        return rng.choice(LATIN1_HEADLINES)
    template = rng.choice(HEADLINES)
    return template.format(place=rng.choice(PLACES), dish=rng.choice(DISHES), topic=rng.choice(TOPICS))


def _body(rng: random.Random, *, latin1: bool) -> str:
    """Two to five paragraphs; a third of them posted from a browser form, so CRLF line ends."""
    paragraphs = []
    for _ in range(rng.randint(2, 5)):
        sentences = rng.sample(SENTENCES, rng.randint(2, 5))
        if latin1:
            sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(LATIN1_SENTENCES))
        paragraphs.append(" ".join(sentences))
    newline = "\r\n" if rng.random() < 0.33 else "\n"
    return (newline * 2).join(paragraphs)


def _photo_path(rng: random.Random, taken: datetime, used: set[str | None]) -> str:
    """A path under the site's upload folder, by month, suffixed like PHP did for a name taken."""
    name = rng.choice((*PHOTO_NAMES, f"IMG_{rng.randrange(10000):04d}", f"DSC{rng.randrange(100000):05d}"))
    stem, extension, suffix = f"uploads/{taken:%Y/%m}/{name}", rng.choice(PHOTO_EXTENSIONS), 0
    path = f"{stem}.{extension}"
    while path in used:
        suffix += 1
        path = f"{stem}-{suffix}.{extension}"
    return path


# --- Passwords ------------------------------------------------------------------------------


def _md5_hex(password: str) -> str:
    """How the site stored passwords before 2013 (and why it stopped)."""
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


@cache
def _bcrypt_pool() -> tuple[str, ...]:
    rng = random.Random("salt:pool")
    return tuple(_php_bcrypt(password, _salt(rng)) for password in DEMO_BCRYPT_PASSWORDS)


def _salt(rng: random.Random) -> bytes:
    """A bcrypt salt drawn from ``rng``, so the same seed gives the same hashes."""
    raw = base64.b64encode(rng.randbytes(16)).rstrip(b"=")
    standard = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    crypt = b"./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return b"$2b$%02d$" % BCRYPT_COST + raw.translate(bytes.maketrans(standard, crypt))


@cache
def _php_bcrypt(password: str, salt: bytes) -> str:
    """PHP password_hash(): bcrypt with the "$2y$" prefix (the same algorithm as "$2b$").

    PHP truncates passwords at 72 bytes; bcrypt >= 5 raises instead, so truncate first.
    """
    hashed = bcrypt.hashpw(password.encode()[:72], salt).decode()
    return "$2y$" + hashed.removeprefix("$2b$")


# --- Writing --------------------------------------------------------------------------------

INSERT_USER = (
    "INSERT INTO users (user_id, email, username, password, display_name, status, is_admin, created_at, last_login)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_NOTE = (
    "INSERT INTO notes (note_id, user_id, headline, body, photo_path, visibility, created_at, updated_at, deleted)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
INSERT_TAG = "INSERT INTO note_tags (note_id, tag) VALUES (%s, %s)"
INSERT_LOGIN = "INSERT INTO login_audit (user_id, ip, at) VALUES (%s, %s, %s)"


def _insert_users(cursor: CursorWrapper, rows: Sequence[UserRow], connection: BaseDatabaseWrapper) -> None:
    cursor.executemany(
        INSERT_USER,
        [
            (
                row.user_id,
                row.email,
                row.username,
                row.password,
                row.display_name,
                row.status,
                int(row.is_admin),
                _site_datetime(row.created_at, connection),
                None if row.last_login is None else _sql_datetime(row.last_login),
            )
            for row in rows
        ],
    )


def _insert_notes(cursor: CursorWrapper, rows: Sequence[NoteRow], connection: BaseDatabaseWrapper) -> None:
    """ASCII notes through Django's connection; accented ones as the old site sent them: latin1."""
    latin1_rows = [row for row in rows if row.latin1]
    if connection.vendor != "mysql":
        cursor.executemany(INSERT_NOTE, [_note_params(row, connection) for row in rows])
        return
    cursor.executemany(INSERT_NOTE, [_note_params(row, connection) for row in rows if not row.latin1])
    if latin1_rows:
        _insert_over_latin1(connection, INSERT_NOTE, [_note_params(row, connection) for row in latin1_rows])


def _note_params(row: NoteRow, connection: BaseDatabaseWrapper) -> tuple[Any, ...]:
    return (
        row.note_id,
        row.user_id,
        row.headline,
        row.body,
        row.photo_path,
        row.visibility,
        _site_datetime(row.created_at, connection),
        _sql_datetime(row.updated_at),
        int(row.deleted),
    )


def _insert_over_latin1(connection: BaseDatabaseWrapper, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Write through a second connection that says ``SET NAMES latin1``, text encoded as cp1252.

    That is what an old PHP site does (mysql_connect() without a charset); MariaDB's latin1 is
    cp1252, so "€" and curly quotes fit. Bytes go over the wire as the connection declares them.
    """
    # Imported here: the SQLite fallback of `make run` never needs the driver.
    import MySQLdb

    params = connection.get_connection_params()
    params.pop("conv", None)  # Django's converters drop mysqlclient's bytes encoder
    params["charset"] = "latin1"
    encoded = [tuple(value.encode("cp1252") if isinstance(value, str) else value for value in row) for row in rows]
    site = MySQLdb.connect(**params)
    try:
        with site.cursor() as cursor:
            cursor.executemany(sql, encoded)
        site.commit()
    finally:
        site.close()


def _insert_tags(cursor: CursorWrapper, rows: Sequence[NoteRow]) -> None:
    cursor.executemany(INSERT_TAG, [(row.note_id, tag) for row in rows for tag in row.tags])


def _insert_logins(cursor: CursorWrapper, rows: Sequence[LoginRow]) -> None:
    cursor.executemany(INSERT_LOGIN, [(row.user_id, row.ip, _sql_datetime(row.at)) for row in rows])


def _delete_legacy_rows(cursor: CursorWrapper) -> None:
    # DELETE, not TRUNCATE: MyISAM ignores transactions either way, and DELETE keeps it plain DML.
    for table in ("note_tags", "notes", "login_audit", "users"):
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def _site_datetime(value: datetime | None, connection: BaseDatabaseWrapper) -> str | None:
    """A `created_at` parameter; ``None`` stands for the zero date (NULL on SQLite, which has none)."""
    if value is None:
        return MYSQL_ZERO_DATETIME if connection.vendor == "mysql" else None
    return _sql_datetime(value)


def _sql_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- Reading --------------------------------------------------------------------------------

COUNT_USERS = (
    "SELECT COUNT(*),"
    " SUM(CASE WHEN LENGTH(password) = 32 AND password NOT LIKE '$%' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN status = 'suspended' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN status = 'deleted' THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN is_admin = 1 THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN {zero_date} THEN 1 ELSE 0 END)"
    " FROM users"
)
COUNT_NOTES = (
    "SELECT COUNT(*),"
    " SUM(CASE WHEN photo_path IS NOT NULL THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN {zero_date} THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN {non_ascii} THEN 1 ELSE 0 END),"
    " SUM(CASE WHEN deleted = 1 THEN 1 ELSE 0 END)"
    " FROM notes"
)


def _summarise(connection: BaseDatabaseWrapper, cursor: CursorWrapper) -> DemoSummary:
    zero_date = f"created_at = '{MYSQL_ZERO_DATETIME}'" if connection.vendor == "mysql" else "created_at IS NULL"
    non_ascii = f"{_non_ascii('headline', connection)} OR {_non_ascii('body', connection)}"
    cursor.execute(COUNT_USERS.format(zero_date=zero_date))
    users, md5_users, suspended, deleted, admins, zero_date_users = _ints(cursor.fetchone())
    cursor.execute(COUNT_NOTES.format(zero_date=zero_date, non_ascii=non_ascii))
    notes, photos, zero_date_notes, latin1_rows, deleted_notes = _ints(cursor.fetchone())
    return DemoSummary(
        users=users,
        md5_users=md5_users,
        suspended=suspended,
        deleted=deleted,
        admins=admins,
        notes=notes,
        tags=_count(cursor, "SELECT COUNT(*) FROM note_tags"),
        photos=photos,
        zero_date_users=zero_date_users,
        zero_date_notes=zero_date_notes,
        latin1_rows=latin1_rows,
        deleted_notes=deleted_notes,
        logins=_count(cursor, "SELECT COUNT(*) FROM login_audit"),
    )


def _non_ascii(column: str, connection: BaseDatabaseWrapper) -> str:
    """SQL that is true when ``column`` holds a character beyond ASCII (more bytes than characters)."""
    if connection.vendor == "mysql":
        return f"LENGTH(CONVERT({column} USING utf8mb4)) <> CHAR_LENGTH({column})"
    return f"LENGTH(CAST({column} AS BLOB)) <> LENGTH({column})"


# --- Helpers --------------------------------------------------------------------------------


def _legacy_connection(using: str | None) -> BaseDatabaseWrapper:
    return connections[using or settings.LEGACY_DATABASE_ALIAS]


def _require_legacy_tables(connection: BaseDatabaseWrapper) -> None:
    missing = set(LEGACY_TABLES) - existing_legacy_tables(connection)
    if missing:
        raise LegacyTablesMissingError(
            f"Database {connection.alias!r} has no {', '.join(sorted(missing))} table(s); create the legacy"
            " tables first (legacy.schema.create_legacy_tables)."
        )


def _count(cursor: CursorWrapper, sql: str) -> int:
    cursor.execute(sql)
    return _ints(cursor.fetchone())[0]


def _ints(row: Sequence[Any] | None) -> list[int]:
    return [int(value or 0) for value in row or ()]


def _next_id(cursor: CursorWrapper, table: str) -> int:
    column = {"users": "user_id", "notes": "note_id"}[table]
    return _count(cursor, f"SELECT MAX({column}) FROM {table}") + 1  # noqa: S608 - fixed names


def _share(total: int, fraction: float, *, minimum: int = 1) -> int:
    """``fraction`` of ``total`` rounded, but at least ``minimum`` (and never more than ``total``)."""
    return min(total, max(minimum, round(total * fraction)))


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(int((end - start).total_seconds()) + 1))
