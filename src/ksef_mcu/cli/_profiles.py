"""Login profiles: the tokens of `ksef-mcu login`, one file per KSeF environment, readable only by their owner.

Where: `$KSEF_MCU_CONFIG_DIR`, else `$XDG_CONFIG_HOME/ksef-mcu` (`~/.config/ksef-mcu`), or `%APPDATA%\\ksef-mcu` on
Windows; the profile of environment `local` is `<config dir>/profiles/local.json`. The directories are created with
mode 0700 and the files written atomically with mode 0600, because the tokens let anyone who reads them act in KSeF
as the logged-in subject until they expire. No private key or password is ever stored here.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ksef_mcu.cli._common import error_console, fail, write_private_file_replacing
from ksef_mcu.cli._lazy import client

CONFIG_DIR_VARIABLE = "KSEF_MCU_CONFIG_DIR"
PROFILE_VERSION = 1
MAX_PROFILE_BYTES = 64 * 1024


def config_dir() -> Path:
    """The CLI's configuration directory (see the module docstring); not created here."""
    if configured := os.environ.get(CONFIG_DIR_VARIABLE):
        return Path(configured).expanduser()
    if os.name == "nt":
        appdata = os.environ.get("APPDATA")
        return (Path(appdata) if appdata else Path.home() / "AppData" / "Roaming") / "ksef-mcu"
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "ksef-mcu"


def profile_path(environment: client.Environment) -> Path:
    """The profile file of `environment`."""
    return config_dir() / "profiles" / f"{environment.value}.json"


@dataclass(frozen=True, slots=True)
class LoginInfo:
    """What the user logged in with and into which context — shown by `whoami`, never needed for API calls."""

    subject: str
    """The login certificate's subject DN, for people."""
    identifier_type: str
    """Nip, Pesel or Fingerprint: whom KSeF sees (certificates are issued for this subject)."""
    identifier_value: str
    context_type: str
    """Nip, InternalId, NipVatUe or PeppolId."""
    context_value: str
    certificate_serial: str
    certificate_fingerprint: str
    certificate_valid_to: datetime
    logged_in_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {
            "subject": self.subject,
            "identifierType": self.identifier_type,
            "identifierValue": self.identifier_value,
            "contextType": self.context_type,
            "contextValue": self.context_value,
            "certificateSerial": self.certificate_serial,
            "certificateFingerprint": self.certificate_fingerprint,
            "certificateValidTo": self.certificate_valid_to.isoformat(),
            "loggedInAt": self.logged_in_at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> LoginInfo:
        if not isinstance(data, dict):
            raise ValueError("login is not an object")
        texts = {key: data.get(key) for key in data}
        if not all(isinstance(value, str) for value in texts.values()):
            raise ValueError("login fields must be strings")
        return cls(
            subject=data["subject"],
            identifier_type=data["identifierType"],
            identifier_value=data["identifierValue"],
            context_type=data["contextType"],
            context_value=data["contextValue"],
            certificate_serial=data["certificateSerial"],
            certificate_fingerprint=data["certificateFingerprint"],
            certificate_valid_to=_aware(data["certificateValidTo"]),
            logged_in_at=_aware(data["loggedInAt"]),
        )


def _aware(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a saved moment has no time zone")
    return moment


@dataclass(frozen=True, slots=True)
class Profile:
    """A login to one KSeF environment: the server it was made against, the tokens, and who logged in."""

    environment: client.Environment
    base_url: str
    tokens: client.TokenState
    login: LoginInfo

    def with_tokens(self, tokens: client.TokenState) -> Profile:
        return replace(self, tokens=tokens)

    def to_json(self) -> bytes:
        document = {
            "version": PROFILE_VERSION,
            "environment": self.environment.value,
            "baseUrl": self.base_url,
            "tokens": self.tokens.to_dict(),
            "login": self.login.to_dict(),
        }
        return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> Profile:
        """Raises `ValueError` (or `KsefClientError` for the tokens) when the file is damaged or of another version."""
        document = json.loads(data.decode("utf-8"))
        if not isinstance(document, dict) or document.get("version") != PROFILE_VERSION:
            raise ValueError("unknown profile version")
        base_url = document.get("baseUrl")
        if not isinstance(base_url, str) or not base_url:
            raise ValueError("no base URL")
        return cls(
            environment=client.Environment.parse(str(document.get("environment"))),
            base_url=base_url,
            tokens=client.TokenState.from_dict(document.get("tokens") or {}),
            login=LoginInfo.from_dict(document.get("login")),
        )


def _ensure_private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        fail(f"Nie można utworzyć katalogu konfiguracji {directory}: {error.strerror or error}")


def load_profile(environment: client.Environment) -> Profile | None:
    """The saved login to `environment`, or None when there is none. A damaged file is an error (never guessed)."""
    path = profile_path(environment)
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as error:
        fail(f"Nie można odczytać profilu {path}: {error.strerror or error}")
    if not stat.S_ISREG(info.st_mode):
        fail(f"Profil {path} nie jest zwykłym plikiem — usuń go i zaloguj się ponownie.")
    if info.st_size > MAX_PROFILE_BYTES:
        fail(f"Profil {path} jest za duży — to nie jest plik ksef-mcu; usuń go i zaloguj się ponownie.")
    if os.name != "nt" and stat.S_IMODE(info.st_mode) & 0o077:
        # Tokens readable by others: tighten first, then say so (like ssh refuses loose key files, but recoverable).
        try:
            path.chmod(0o600)
        except OSError as error:
            fail(f"Profil {path} jest dostępny dla innych użytkowników i nie można tego zmienić: {error}")
        error_console.print(f"[yellow]Uwaga:[/] profil {path} był dostępny dla innych; zmieniono uprawnienia na 0600.")
    try:
        profile = Profile.from_json(path.read_bytes())
    except (ValueError, KeyError, TypeError, client.KsefClientError, UnicodeDecodeError):
        fail(
            f"Profil {path} jest uszkodzony albo pochodzi z innej wersji programu. "
            f"Zaloguj się ponownie (ksef-mcu login --env {environment.value} …) albo usuń ten plik."
        )
    except OSError as error:
        fail(f"Nie można odczytać profilu {path}: {error.strerror or error}")
    if profile.environment is not environment:
        fail(f"Profil {path} należy do środowiska {profile.environment.value}, nie {environment.value} — usuń go.")
    return profile


def save_profile(profile: Profile) -> Path:
    """Write the profile atomically (mode 0600) and return its path."""
    path = profile_path(profile.environment)
    _ensure_private_directory(path.parent.parent)
    _ensure_private_directory(path.parent)
    write_private_file_replacing(path, profile.to_json())
    return path


def delete_profile(environment: client.Environment) -> bool:
    """Remove the profile of `environment`; True when there was one."""
    path = profile_path(environment)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as error:
        fail(f"Nie można usunąć profilu {path}: {error.strerror or error}")
    return True
