"""Every admin page in a real browser: headless Chromium (apt) driven by Selenium, as Django staff
and as a site admin signed in with the site password.

The walk starts at the admin index and follows what a person can click: each changelist, the
first object's change form, the add form. A page fails on an error page (403/404/500, Django's
debug page) or a Python object repr (`<… object at 0x…>`) anywhere in its text; lists must fit a
1400 px window. Screenshots of every page go to dist/browser/<role>/ (kept as CI artifacts).
"""

from __future__ import annotations

import base64
import re
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from pytest_django import Settings as SettingsWrapper
from pytest_django.live_server_helper import LiveServer

from accounts.models import AccountDeletion, ApiKey, CognitoIdentity
from accounts.services import api_key_issue
from aws.clients import s3_client
from datasets.models import Dataset, DatasetRecord
from devstack.aws_resources import DevstackResources
from devstack.demo_data import DEMO_SITE_ADMIN, load_demo_data
from legacy.models import LegacyNote
from notes.mobile import mobile_notes_derive
from notes.models import MobileNote
from push.services import broadcast_create, device_register
from tests.factories import legacy_connection
from tests.uploads.helpers import PNG_BYTES  # a 1x1 PNG: the app photo of one note
from uploads.models import LegacyMediaFile, Upload

# slow: a browser walk of every admin page
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, databases="__all__")]

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "dist" / "browser"
WINDOW_WIDTH, WINDOW_HEIGHT = 1400, 900
MAX_SCREENSHOT_HEIGHT = 4000
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WINDOW_WIDTH},{WINDOW_HEIGHT}",
)
STAFF_USERNAME = "browser-staff"
STAFF_PASSWORD = "browser staff password"
OBJECT_REPR = re.compile(r"<[\w.]+ object at 0x[0-9a-fA-F]+>")
ERROR_TITLES = ("Server Error", "Page not found", "403 Forbidden", "Bad Request", "Forbidden", "Traceback")
DEBUG_PAGE_MARKERS = ("Exception Value:", "Traceback (most recent call last)", "Request Method:")


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing: `bash devstack/system-packages.sh test` installs chromium and chromium-driver."
    return None


@pytest.fixture
def browser() -> Iterator[Any]:
    """A fresh headless Chromium (its own profile directory), closed after the test."""
    problem = _browser_missing()
    if problem:
        pytest.fail(problem)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="lambridge-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def demo_site(
    aws_stack: DevstackResources, cloudsearch_domain: Any, live_server: LiveServer, settings: SettingsWrapper
) -> Iterator[LegacyNote]:
    """A small demo site, a Django superuser, and one note with both a site photo and an app photo.

    The site's photo points at a path the live server does not serve, so its preview fails the
    way a moved file on the PHP site would. Returns that note.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
    settings.SITE_URL = f"{live_server.url}/the-php-site"
    load_demo_data(users=60, notes=300, replace=True)
    User.objects.create_superuser(STAFF_USERNAME, "browser-staff@example.com", STAFF_PASSWORD)
    note = LegacyNote.objects.filter(deleted=False).exclude(photo_path=None).exclude(photo_path="").first()
    assert note is not None
    key = f"tests/browser/{note.note_id}.png"
    s3_client().put_object(Bucket=aws_stack.bucket, Key=key, Body=PNG_BYTES, ContentType="image/png")
    shown = mobile_notes_derive([note])[note.note_id]
    MobileNote.objects.update_or_create(
        legacy_note_id=note.note_id,
        defaults={"uuid": shown.uuid, "version": shown.version, "legacy_updated_at": note.updated_at, "photo_key": key},
    )
    _one_row_in_every_list(note)
    yield note
    # `users` is InnoDB but not ours: a transactional test's flush leaves it alone.
    with legacy_connection().cursor() as cursor:
        cursor.execute("DELETE FROM users")


def _one_row_in_every_list(note: LegacyNote) -> None:
    """A row in each of our own lists, so that the walk opens a change page of every model."""
    now = timezone.now()
    api_key_issue(api_key=ApiKey(name="iOS app 3.2"))
    CognitoIdentity.objects.create(sub=str(uuid.uuid4()), site_user_id=note.user_id, linked_by="email")
    Upload.objects.create(
        key=f"uploads/{note.user_id}/{uuid.uuid4()}.jpg",
        user_id=note.user_id,
        content_type="image/jpeg",
        content_length=1234,
        filename="beach.jpg",
        expires_at=now + timedelta(minutes=15),
    )
    LegacyMediaFile.objects.create(
        photo_path=note.photo_path, key=f"legacy/{note.photo_path}", size=1234, sha256="0" * 64, imported_at=now
    )
    AccountDeletion.objects.create(
        site_user_id=note.user_id + 1000, requested_by="staff:browser-staff", completed_steps=["cognito_sign_out"]
    )
    dataset = Dataset.objects.create(user_id=note.user_id, name="settings", sync_count=1, record_count=1, size_bytes=9)
    DatasetRecord.objects.create(dataset=dataset, key="theme", value="dark", sync_count=1)
    Group.objects.get_or_create(name="editors")
    device_register(site_user_id=note.user_id, platform="ios", token=secrets.token_hex(32), app_version="3.2")
    broadcast_create(
        title="Photos in notes", body="Add a photo to any note.", audience="users", site_user_ids=[note.user_id]
    )


def _sign_in(browser: Any, base: str, username: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{base}/admin/login/?next=/admin/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    assert urlsplit(browser.current_url).path == "/admin/", browser.page_source[:2000]


class Walk:
    """Visits admin pages, checks each, keeps a screenshot of each."""

    def __init__(self, browser: Any, base: str, role: str) -> None:
        self.browser = browser
        self.base = base
        self.folder = SCREENSHOTS / role
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.visited: list[str] = []
        self.problems: list[str] = []
        self.empty_lists: list[str] = []

    def visit(self, url: str) -> str:
        """Open ``url``, check the page, save a screenshot; the page's visible text."""
        from selenium.webdriver.common.by import By

        self.browser.get(url)
        path = urlsplit(self.browser.current_url).path
        self.visited.append(path)
        name = re.sub(r"[^A-Za-z0-9]+", "-", urlsplit(url).path.removeprefix("/admin/")).strip("-") or "index"
        self._screenshot(self.folder / f"{len(self.visited):02d}-{name}.png")
        title = self.browser.title
        text = self.browser.find_element(By.TAG_NAME, "body").text
        if any(marker in title for marker in ERROR_TITLES):
            self.problems.append(f"{url}: error page {title!r}")
        if any(marker in text for marker in DEBUG_PAGE_MARKERS):
            self.problems.append(f"{url}: Django's error page")
        if path.startswith("/admin/login/"):
            self.problems.append(f"{url}: sent back to the login page")
        for found in OBJECT_REPR.findall(text):
            self.problems.append(f"{url}: a Python object repr on the page: {found}")
        return str(text)

    def _screenshot(self, path: Path) -> None:
        """The whole page, not just the window (Chrome DevTools: a capture beyond the viewport)."""
        size = self.browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], MAX_SCREENSHOT_HEIGHT)}
        shot = self.browser.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip | {"scale": 1}}
        )
        path.write_bytes(base64.b64decode(shot["data"]))

    def fits_the_window(self, url: str) -> None:
        """Neither the page nor the list (which scrolls inside its own box) is wider than the window."""
        page, results_overflow = self.browser.execute_script(
            "const r = document.querySelector('#changelist .results');"
            "return [document.documentElement.scrollWidth, r ? r.scrollWidth - r.clientWidth : 0];"
        )
        if page > WINDOW_WIDTH:
            self.problems.append(f"{url}: {page} px wide, more than a {WINDOW_WIDTH} px window")
        if results_overflow > 0:
            self.problems.append(
                f"{url}: the list is {results_overflow} px wider than its box in a {WINDOW_WIDTH} px window"
            )

    def links(self, selector: str) -> list[str]:
        from selenium.webdriver.common.by import By

        hrefs = [element.get_attribute("href") for element in self.browser.find_elements(By.CSS_SELECTOR, selector)]
        return [href for href in hrefs if href and href.startswith(self.base)]

    def everything_from_the_index(self) -> None:
        """The dashboard, then every changelist the index lists, a change form and the add form of each."""
        self.visit(f"{self.base}/admin/")
        changelists = list(dict.fromkeys(self.links("#content-main table th[scope=row] a")))
        add_forms = list(dict.fromkeys(self.links("#content-main a.addlink")))
        assert changelists, "the admin index lists no models"
        for changelist in changelists:
            self.visit(changelist)
            self.fits_the_window(changelist)
            first = self.links("#result_list tbody tr a[href]")[:1]
            if not first:
                self.empty_lists.append(changelist)
            for change_form in first:
                self.visit(change_form)
        for add_form in add_forms:
            self.visit(add_form)


def _walk_as(browser: Any, live_server: LiveServer, role: str, username: str, password: str) -> Walk:
    _sign_in(browser, live_server.url, username, password)
    walk = Walk(browser, live_server.url, role)
    walk.everything_from_the_index()
    return walk


def test_staff_walk_every_admin_page_without_an_error_page_or_an_object_repr(
    browser: Any, live_server: LiveServer, demo_site: LegacyNote
) -> None:
    walk = _walk_as(browser, live_server, "staff", STAFF_USERNAME, STAFF_PASSWORD)

    assert not walk.problems, "\n".join(walk.problems)
    assert walk.empty_lists == []  # a change page of every model was opened
    assert "/admin/legacy/legacynote/add/" in walk.visited
    assert "/admin/legacy/legacyuser/" in walk.visited
    assert any(re.fullmatch(r"/admin/legacy/legacynote/\d+/change/", path) for path in walk.visited)


def test_a_site_admin_signed_in_with_the_site_password_walks_every_page_they_see(
    browser: Any, live_server: LiveServer, demo_site: LegacyNote
) -> None:
    walk = _walk_as(browser, live_server, "site-admin", DEMO_SITE_ADMIN.username, DEMO_SITE_ADMIN.password)

    assert not walk.problems, "\n".join(walk.problems)
    assert "/admin/legacy/legacynote/" in walk.visited


def test_the_dashboard_shows_notes_mirror_search_and_sign_ins(
    browser: Any, live_server: LiveServer, demo_site: LegacyNote
) -> None:
    _sign_in(browser, live_server.url, STAFF_USERNAME, STAFF_PASSWORD)
    text = Walk(browser, live_server.url, "dashboard").visit(f"{live_server.url}/admin/")

    assert "Notes today" in text
    assert "Mirror to DynamoDB" in text
    assert "Search (cloudsearch)" in text
    assert "Answering" in text
    assert "Recent sign-ins on the site" in text
    assert "VIEW SITE" in text.upper()  # SITE_URL is set: the link goes to the PHP site


def test_the_photo_section_shows_both_photos_and_says_when_a_preview_fails(
    browser: Any, live_server: LiveServer, demo_site: LegacyNote
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    _sign_in(browser, live_server.url, STAFF_USERNAME, STAFF_PASSWORD)
    walk = Walk(browser, live_server.url, "photos")
    text = walk.visit(f"{live_server.url}/admin/legacy/legacynote/{demo_site.note_id}/change/")
    WebDriverWait(browser, 20).until(
        lambda driver: driver.execute_script(
            "return [...document.querySelectorAll('img[data-preview]')].every(i => i.complete)"
        )
    )
    walk.visit(browser.current_url)  # the screenshot once the previews settled

    assert "the PHP site shows this one" in text
    assert "the iOS and Android apps show this one" in text
    assert demo_site.photo_path in text
    loaded = browser.execute_script(
        "return [...document.querySelectorAll('img[data-preview]')].map(i => [i.src, i.naturalWidth])"
    )
    app_photo = [width for src, width in loaded if "tests/browser/" in src]
    assert app_photo == [1], loaded  # the apps' photo, from the bucket
    failures = [element.text for element in browser.find_elements(By.CSS_SELECTOR, "p.errornote") if element.text]
    assert failures == [f"The preview did not load from {live_server.url}/the-php-site/{demo_site.photo_path}."]
    assert not walk.problems, "\n".join(walk.problems)
