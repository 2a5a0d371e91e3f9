/**
 * Live validation for the key-generation screen, with the same rules and Polish messages as our Python
 * `crypto/passwords.py` (the MCU key-password rule) and `crypto/names.py` (the MCU certificate-name rule).
 * Lengths count characters (code points), as Python does.
 */

export const PASSWORD_MIN_LENGTH = 15;
export const PASSWORD_MAX_LENGTH = 32;
export const PASSWORD_SPECIAL_CHARACTERS = "!@#$%^&*()-_=+";
export const NAME_MIN_LENGTH = 5;
export const NAME_MAX_LENGTH = 50;

const NAME_ALLOWED = /^[A-Za-z0-9 _-]$/u;
const CHARACTER_NAMES = { "\t": "tabulator", "\n": "znak nowej linii", "\r": "znak powrotu karetki", "\u00a0": "twarda spacja" };
// Python's str.isprintable(): false for other/separator categories, except the ASCII space.
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;

/** One Polish sentence per rule `password` breaks; empty when it satisfies the MCU rule. */
export function passwordRuleFailures(password) {
  const characters = Array.from(password);
  const failures = [];
  if (characters.length < PASSWORD_MIN_LENGTH || characters.length > PASSWORD_MAX_LENGTH) {
    failures.push(
      `Hasło musi mieć od ${PASSWORD_MIN_LENGTH} do ${PASSWORD_MAX_LENGTH} znaków (ma ${characters.length}).`,
    );
  }
  if (!/[A-Z]/.test(password)) failures.push("Hasło musi zawierać wielką literę (A–Z).");
  if (!/[a-z]/.test(password)) failures.push("Hasło musi zawierać małą literę (a–z).");
  if (!/[0-9]/.test(password)) failures.push("Hasło musi zawierać cyfrę (0–9).");
  if (!characters.some((character) => PASSWORD_SPECIAL_CHARACTERS.includes(character))) {
    failures.push(`Hasło musi zawierać znak specjalny spośród: ${PASSWORD_SPECIAL_CHARACTERS}`);
  }
  return failures;
}

/** "Hasła nie są zgodne." when the repeated password differs, else null. */
export function passwordRepeatFailure(password, repeated) {
  return password === repeated ? null : "Hasła nie są zgodne.";
}

function describe(characters) {
  return characters
    .map((character) => {
      if (CHARACTER_NAMES[character]) return CHARACTER_NAMES[character];
      if (character !== " " && NOT_PRINTABLE.test(character)) {
        return `U+${character.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
      }
      return `„${character}”`;
    })
    .join(", ");
}

/** One Polish sentence per MCU certificate-name rule `name` breaks; empty when the name is allowed. */
export function certificateNameFailures(name) {
  const characters = Array.from(name);
  const failures = [];
  if (characters.length < NAME_MIN_LENGTH || characters.length > NAME_MAX_LENGTH) {
    failures.push(
      `Nazwa certyfikatu musi mieć od ${NAME_MIN_LENGTH} do ${NAME_MAX_LENGTH} znaków (ma ${characters.length}).`,
    );
  }
  const disallowed = [...new Set(characters.filter((character) => !NAME_ALLOWED.test(character)))];
  if (disallowed.length) {
    failures.push(
      "Nazwa certyfikatu może zawierać tylko litery bez polskich znaków, cyfry, spacje, „-” i „_” " +
        `(niedozwolone: ${describe(disallowed)}).`,
    );
  }
  if (name.startsWith(" ") || name.endsWith(" ")) {
    failures.push("Nazwa certyfikatu nie może zaczynać się ani kończyć spacją (jest też nazwą pliku).");
  }
  return failures;
}
