"""The certificate screens in Chromium: live validation, the keyboard-only request, the status page's polling and
its rejections, "Lista certyfikatów" (10 at most, the 11th refused; downloads checked with Python and OpenSSL;
"Unieważnij"), the limit dialog, 375 px screens, the offline API documentation."""

from __future__ import annotations

import zipfile
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

from support.screens_browser import (
    PASSWORD,
    McuServer,
    issue_certificates,
    log_in_for_test,
    no_horizontal_scroll,
    openssl,
    principal_of,
)

ENROLL = "/certyfikaty/wniosek"


def message_of(page: Page, field_id: str) -> str:
    return page.locator(f"#{field_id}-error").inner_text()


def test_live_validation_messages(mcu: McuServer, screen: Page) -> None:
    log_in_for_test(screen, mcu.url)
    screen.goto(f"{mcu.url}{ENROLL}")
    # The password rules are on the screen before anything is typed.
    rules = screen.locator("#zasady-hasla li")
    assert rules.all_inner_texts()[0] == "od 15 do 32 znaków,"
    assert screen.get_by_text("Nie da się go zresetować ani odzyskać").is_visible()

    name = screen.get_by_label("Nazwa certyfikatu")
    name.fill("Żółw")
    assert message_of(screen, "nazwa-certyfikatu") == (
        "Nazwa certyfikatu musi mieć od 5 do 50 znaków (ma 4). Nazwa certyfikatu może zawierać tylko litery bez "
        "polskich znaków, cyfry, spacje, „-” i „_” (niedozwolone: „Ż”, „ó”, „ł”)."
    )
    assert name.get_attribute("aria-invalid") == "true"
    name.fill(" Moj certyfikat")
    assert message_of(screen, "nazwa-certyfikatu") == (
        "Nazwa certyfikatu nie może zaczynać się ani kończyć spacją (jest też nazwą pliku)."
    )
    name.fill("Moj certyfikat")
    assert screen.locator("#nazwa-certyfikatu-error").is_hidden()
    assert name.get_attribute("aria-invalid") is None

    password = screen.get_by_label("Hasło", exact=True)
    password.fill("abc")
    assert message_of(screen, "haslo") == (
        "Hasło musi mieć od 15 do 32 znaków (ma 3). Hasło musi zawierać wielką literę (A–Z). "
        "Hasło musi zawierać cyfrę (0–9). Hasło musi zawierać znak specjalny spośród: !@#$%^&*()-_=+"
    )
    assert screen.locator('#zasady-hasla li[data-rule="lower"]').get_attribute("data-met") == "yes"
    assert screen.locator('#zasady-hasla li[data-rule="upper"]').get_attribute("data-met") == "no"
    password.fill(PASSWORD)
    assert screen.locator("#haslo-error").is_hidden()
    repeat = screen.get_by_label("Powtórz hasło")
    repeat.fill(PASSWORD + "x")
    assert message_of(screen, "powtorz-haslo") == "Hasła nie są zgodne."

    # "Generuj" with a problem left: nothing is generated, the focus goes to the field.
    name.fill("abc")
    screen.get_by_role("button", name="Generuj").click()
    assert screen.evaluate("document.activeElement.id") == "nazwa-certyfikatu"
    assert screen.locator("#krok-2").is_hidden()


def tab_to(page: Page, condition: str, *, limit: int = 60) -> None:
    """Press Tab until `condition` (JavaScript on `document.activeElement` as `e`) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(e => {condition})(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element with {condition}")


def test_the_request_by_keyboard_alone(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    log_in_for_test(screen, mcu.url)
    screen.goto(f"{mcu.url}{ENROLL}")
    tab_to(screen, "e.id === 'nazwa-certyfikatu'")
    screen.keyboard.type("Certyfikat z klawiatury")
    tab_to(screen, "e.id === 'haslo'")
    screen.keyboard.type(PASSWORD)
    tab_to(screen, "e.id === 'powtorz-haslo'")
    screen.keyboard.type(PASSWORD)
    tab_to(screen, "e.textContent === 'Generuj'")
    with screen.expect_download() as download:
        screen.keyboard.press("Enter")
    assert download.value.suggested_filename == "Certyfikat z klawiatury.key"
    screen.get_by_role("heading", name="Przesłanie wniosku").wait_for()
    assert screen.evaluate("document.activeElement.id") == "krok-2-tytul"
    tab_to(screen, "e.name === 'przeznaczenie'")
    screen.keyboard.press("ArrowDown")  # the second purpose
    assert screen.get_by_label("Podpis linku we weryfikacji wystawcy").is_checked()
    tab_to(screen, "e.textContent === 'Wyślij wniosek o wydanie certyfikatu'")
    screen.keyboard.press("Enter")
    screen.get_by_text("Certyfikat został wystawiony.").wait_for(timeout=30_000)
    tab_to(screen, "e.textContent === 'Pobierz certyfikat'")
    with screen.expect_download() as certificate:
        screen.keyboard.press("Enter")
    assert certificate.value.suggested_filename == "Certyfikat z klawiatury.crt"


def test_eleven_selections_refused_ten_downloaded(mcu: McuServer, screen: Page, tmp_path: Path) -> None:
    nip = log_in_for_test(screen, mcu.url)
    names = [f"Certyfikat nr {index:02d}" for index in range(11)]
    issue_certificates(mcu, nip, names)
    screen.goto(f"{mcu.url}/certyfikaty/lista?na-stronie=20")
    download = screen.get_by_role("button", name="Pobierz certyfikat")
    assert download.is_disabled()
    boxes = screen.get_by_role("checkbox")
    assert boxes.count() == 11
    for index in range(10):
        boxes.nth(index).check()
    assert download.is_enabled()
    assert screen.get_by_text("Zaznaczono 10 z najwyżej 10.").is_visible()
    boxes.nth(10).click()
    assert not boxes.nth(10).is_checked()
    assert (
        screen.get_by_role("alert")
        .get_by_text("Naraz można pobrać najwyżej 10 certyfikatów. Odznacz inny, aby zaznaczyć ten.")
        .is_visible()
    )
    with screen.expect_download() as archive:
        download.click()
    assert archive.value.suggested_filename == "certyfikaty-KSeF.zip"
    zip_path = tmp_path / "certyfikaty.zip"
    archive.value.save_as(zip_path)
    with zipfile.ZipFile(zip_path) as files:
        members = sorted(files.namelist())
        assert len(members) == 10
        assert all(member.endswith(".crt") and member[:-4] in names for member in members)
        one = tmp_path / members[0]
        one.write_bytes(files.read(members[0]))
    subject = openssl("x509", "-in", str(one), "-noout", "-subject")
    assert f"organizationIdentifier = VATPL-{nip}" in subject
    assert "(uwierzytelnienie)" in subject


def test_revoke(mcu: McuServer, screen: Page) -> None:
    nip = log_in_for_test(screen, mcu.url)
    [serial] = issue_certificates(mcu, nip, ["Do uniewaznienia"])
    screen.goto(f"{mcu.url}/certyfikaty/lista")
    screen.get_by_role("link", name=f"Unieważnij certyfikat Do uniewaznienia ({serial})").click()
    screen.get_by_text("To operacja nieodwracalna.").wait_for()
    screen.get_by_label("Powód unieważnienia").select_option(label="Certyfikat został zastąpiony przez inny")
    screen.get_by_role("button", name="Unieważnij").click()
    assert screen.get_by_label("Rozumiem, że unieważnienia nie można cofnąć").evaluate(
        "e => e === document.activeElement"
    )
    screen.get_by_label("Rozumiem, że unieważnienia nie można cofnąć").check()
    screen.get_by_role("button", name="Unieważnij").click()
    screen.get_by_text(f"Certyfikat Do uniewaznienia ({serial}) został unieważniony.").wait_for()
    row = screen.locator(f'tr[data-serial="{serial}"]')
    assert row.get_by_text("Unieważniony").is_visible()
    assert row.get_by_role("checkbox").is_disabled()


def test_limit_dialog(mcu: McuServer, screen: Page) -> None:
    from ksef_mcu.server.certificates.model import SubjectLimits

    nip = log_in_for_test(screen, mcu.url)
    mcu.components.enrollment.set_subject_limits(principal_of(mcu, nip), SubjectLimits(max_enrollments=0))
    screen.goto(f"{mcu.url}{ENROLL}")
    dialog = screen.get_by_role("alertdialog", name="Wnioskowanie o certyfikat")
    assert dialog.is_visible()
    assert dialog.get_by_text("Wyczerpałeś limit wniosków o certyfikat: 0 w ciągu 30 dni.").is_visible()
    assert dialog.evaluate("e => e.contains(document.activeElement)")  # modal: the focus is inside
    dialog.get_by_role("button", name="Zamknij").click()
    assert dialog.is_hidden()


def test_every_screen_fits_375_pixels(mcu: McuServer, context: BrowserContext) -> None:
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 812})
    paths = ["/", "/logowanie/profil-zaufany", "/logowanie/certyfikat-kwalifikowany", "/logowanie/odcisk-palca"]
    paths += ["/logowanie/certyfikat-ksef", "/certyfikaty/nie-ma-takiej/strony"]
    for path in paths:
        page.goto(f"{mcu.url}{path}")
        assert no_horizontal_scroll(page), path
    nip = log_in_for_test(page, mcu.url)
    [serial] = issue_certificates(mcu, nip, ["Certyfikat na telefonie"])
    for path in ("/", ENROLL, "/certyfikaty/lista", f"/certyfikaty/{serial}/uniewaznienie"):
        page.goto(f"{mcu.url}{path}")
        assert no_horizontal_scroll(page), path


def test_offline_api_documentation(mcu: McuServer, context: BrowserContext) -> None:
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if message.type == "error" else None)
    external: list[str] = []
    page.on(
        "request",
        lambda request: external.append(request.url) if not request.url.startswith((mcu.url, "blob:")) else None,
    )
    page.goto(f"{mcu.url}/docs")
    page.get_by_text("/v2/auth/challenge").first.wait_for()
    assert blocked == []
    page.goto(f"{mcu.url}/redoc")
    page.get_by_role("heading", name="ksef-mcu (0.1.0)").wait_for()
    # ReDoc's footer tries a logo from its CDN; our policy blocks it (no other error, nothing else external).
    assert all("cdn.redoc.ly" in text for text in blocked), blocked
    assert all("cdn.redoc.ly" in url for url in external), external
