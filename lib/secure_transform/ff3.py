"""FF3-1 format-preserving encryption (NIST SP 800-38G Rev. 1), vectorised over batches.

Two layers, neither of which knows about Spark:

* :class:`FF3_1` is the cipher of SP 800-38G Rev. 1, section 5.2 (Algorithms 9 and 10) with the
  56-bit tweak of Rev. 1. It works on a whole batch of equal-length numeral strings at once: the
  eight Feistel rounds are eight AES-ECB calls over all the batch's blocks (AES from the
  ``cryptography`` package, keyed with REVB(K) as the standard prescribes), and the modular
  arithmetic runs in numpy ``int64`` while ``radix**u < 2**51``, in Python integers beyond that
  (long alphanumeric values only).
* :class:`FormatPreservingCodec` turns column values into numeral strings and back: it keeps
  separators and a clear prefix/suffix in place, optionally keeps card numbers Luhn-valid (by
  cycle walking, so the mapping stays a bijection) and gives values the cipher cannot take
  (too short for the radix's minimum domain, too long, or holding characters outside the
  alphabet and its separators) a deterministic, reversible fallback token, never an exception.

Python is needed here because Spark has no built-in for FF3-1 (arbitrary-radix Feistel rounds
over AES); :mod:`secure_transform.tokenization` runs the codec in an Arrow ``pandas_udf``.

No key material is ever put in an exception message or ``repr``.
"""

from __future__ import annotations

import base64
import hashlib
import string
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "ALPHABETS",
    "FALLBACK_MARKER",
    "FF3_1",
    "FormatPreservingCodec",
    "derive_tweak",
    "luhn_valid",
]

DIGITS = string.digits
#: Named alphabets a column can use. Order defines the numeral value of each character.
ALPHABETS: Mapping[str, str] = {
    "digits": DIGITS,
    "alphanumeric": DIGITS + string.ascii_uppercase + string.ascii_lowercase,
}
#: Characters kept in place (not encrypted) inside a value, per alphabet.
SEPARATORS: Mapping[str, str] = {
    "digits": " -./()+",
    "alphanumeric": string.punctuation + " ",
}
#: Fallback tokens start with this non-ASCII character. Values on the FF3-1 path are ASCII in and
#: ASCII out, so the marker can never be produced by FF3-1 and decryption is unambiguous.
FALLBACK_MARKER = "\u00a7"  # section sign
_DOMAIN_MIN = 1_000_000  # SP 800-38G Rev. 1: radix**minlen >= 1,000,000
_FAST_LIMIT = 1 << 51  # numpy int64 path while radix**u < 2**51 (16 byte-products sum < 2**63)
_MASK64 = (1 << 64) - 1
_MAX_BYTES = 256  # values longer than this never fit a domain (max 56 numerals) -> fallback


def _limb_bits(modulus: int) -> int:
    """Widest limb (32, 16 or 8 bits) with (128/bits) * 2**bits * modulus < 2**63."""
    for bits in (32, 16, 8):
        if (128 // bits) * (1 << bits) * modulus < 1 << 63:
            return bits
    raise ValueError("modulus too large for the numpy path")


def derive_tweak(domain: str) -> bytes:
    """The 56-bit FF3-1 tweak for a tokenization domain (default: the column name). Not secret."""
    return hashlib.sha256(b"secure-transform/ff3-1/tweak/" + domain.encode("utf-8")).digest()[:7]


def _split_tweak(tweak: bytes) -> tuple[bytes, bytes]:
    """SP 800-38G Rev. 1, Algorithm 9 step 3: TL = T[0..27] || 0^4, TR = T[32..55] || T[28..31] || 0^4."""
    if len(tweak) != 7:
        raise ValueError("FF3-1 tweak must be 56 bits (7 bytes)")
    tl = bytes([tweak[0], tweak[1], tweak[2], tweak[3] & 0xF0])
    tr = bytes([tweak[4], tweak[5], tweak[6], (tweak[3] & 0x0F) << 4])
    return tl, tr


class FF3_1:  # noqa: N801 (the standard's name)
    """FF3-1 over one alphabet (radix = its length) with an AES-128/192/256 key."""

    def __init__(self, key: bytes, alphabet: str = DIGITS) -> None:
        if len(key) not in (16, 24, 32):
            raise ValueError("FF3-1 key must be 16, 24 or 32 bytes")
        radix = len(alphabet)
        if not 2 <= radix <= 1 << 16 or len(set(alphabet)) != radix:
            raise ValueError("FF3-1 alphabet must have 2..65536 distinct characters")
        self._key_rev = bytes(key[::-1])  # REVB(K)
        self._encryptor: Any = None
        self.alphabet = alphabet
        self.radix = radix
        self.min_len = next(n for n in range(1, 64) if radix ** n >= _DOMAIN_MIN)
        self.max_len = 2 * max(k for k in range(1, 97) if radix ** k <= 1 << 96)
        if self.min_len < 2:
            self.min_len = 2
        self._index = {ch: i for i, ch in enumerate(alphabet)}

    def __repr__(self) -> str:
        return f"FF3_1(radix={self.radix})"

    def __getstate__(self) -> dict:  # the AES context is not picklable; rebuilt lazily
        state = dict(self.__dict__)
        state["_encryptor"] = None
        return state

    # -- AES -----------------------------------------------------------------------------
    def _aes(self, blocks: bytes) -> bytes:
        if self._encryptor is None:
            from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

            self._encryptor = Cipher(algorithms.AES(self._key_rev), modes.ECB()).encryptor()
        return self._encryptor.update(blocks)

    # -- round function ----------------------------------------------------------------
    def _round_y(self, num: Any, w: bytes, i: int, modulus: int, fast: bool) -> Any:
        """y = NUM(S) mod radix**m with S = REVB(CIPH_REVB(K)(REVB(W xor [i]^4 || [num]^12))).

        REVB(P) puts ``num`` first, little-endian, and the reversed ``W xor i`` last; NUM(S) of
        the reversed output is the output read as a little-endian integer.
        """
        tail = bytes([w[3] ^ i, w[2], w[1], w[0]])
        count = num.shape[0]
        blocks = np.zeros((count, 16), dtype=np.uint8)
        blocks[:, 12:] = np.frombuffer(tail, dtype=np.uint8)
        if fast:
            blocks[:, :8] = num.astype("<u8").view(np.uint8).reshape(count, 8)
            out = np.frombuffer(self._aes(blocks.tobytes()), dtype=np.uint8).reshape(count, 16)
            # y mod M = sum(limb_k * (2**(bits*k) mod M)) mod M over little-endian limbs; the
            # widest limbs whose products and sum stay below 2**63 (see _limb_bits).
            bits = _limb_bits(modulus)
            limbs = out.view({32: "<u4", 16: "<u2", 8: "u1"}[bits]).astype(np.int64)
            weights = np.array([pow(2, bits * k, modulus) for k in range(128 // bits)], dtype=np.int64)
            return (limbs @ weights) % modulus
        # Python integers in numpy object arrays (values up to 2**96): still one AES call per round.
        blocks[:, :8] = (num & _MASK64).astype("<u8").view(np.uint8).reshape(count, 8)
        blocks[:, 8:12] = (num >> 64).astype("<u4").view(np.uint8).reshape(count, 4)
        out = np.frombuffer(self._aes(blocks.tobytes()), dtype=np.uint8).reshape(count, 16)
        limbs = out.view("<u4").astype(object)
        y = limbs[:, 0] + (limbs[:, 1] << 32) + (limbs[:, 2] << 64) + (limbs[:, 3] << 96)
        return y % modulus

    def _check_length(self, n: int) -> None:
        if not self.min_len <= n <= self.max_len:
            raise ValueError(f"FF3-1 radix {self.radix} takes {self.min_len}..{self.max_len} numerals, got {n}")

    def _feistel(self, a: Any, b: Any, n: int, tweak: bytes, decrypt: bool) -> tuple[Any, Any]:
        """Algorithms 9/10 on A, B held as NUM_radix(REV(A)), NUM_radix(REV(B))."""
        self._check_length(n)
        u = (n + 1) // 2
        v = n - u
        tl, tr = _split_tweak(tweak)
        mod_u, mod_v = self.radix ** u, self.radix ** v
        fast = mod_u < _FAST_LIMIT
        order = range(7, -1, -1) if decrypt else range(8)
        for i in order:
            even = i % 2 == 0
            modulus = mod_u if even else mod_v
            w = tr if even else tl
            if not decrypt:
                c = (a + self._round_y(b, w, i, modulus, fast)) % modulus
                a, b = b, c
            else:
                c = (b - self._round_y(a, w, i, modulus, fast)) % modulus
                b, a = a, c
        return a, b

    # -- numeral matrices --------------------------------------------------------------
    def _crypt_numerals(self, numerals: np.ndarray, tweak: bytes, decrypt: bool) -> np.ndarray:
        numerals = np.asarray(numerals, dtype=np.int64)
        count, n = numerals.shape
        self._check_length(n)
        u = (n + 1) // 2
        v = n - u
        if count == 0:
            return numerals.copy()
        if self.radix ** u < _FAST_LIMIT:
            powers = self.radix ** np.arange(u, dtype=np.int64)
            a = numerals[:, :u] @ powers[:u]
            b = numerals[:, u:] @ powers[:v]
            a, b = self._feistel(a, b, n, tweak, decrypt)
            out = np.empty_like(numerals)
            for j in range(u):
                out[:, j] = (a // powers[j]) % self.radix
            for j in range(v):
                out[:, u + j] = (b // powers[j]) % self.radix
            return out
        r = self.radix
        obj = numerals.astype(object)
        a = np.zeros(count, dtype=object)
        b = np.zeros(count, dtype=object)
        for j in range(u - 1, -1, -1):  # Horner: NUM_radix(REV(A)) = sum A[j] * radix**j
            a = a * r + obj[:, j]
        for j in range(v - 1, -1, -1):
            b = b * r + obj[:, u + j]
        a, b = self._feistel(a, b, n, tweak, decrypt)
        out = np.empty_like(numerals)
        for j in range(u):
            out[:, j] = (a % r).astype(np.int64)
            a = a // r
        for j in range(v):
            out[:, u + j] = (b % r).astype(np.int64)
            b = b // r
        return out

    def encrypt_numerals(self, numerals: np.ndarray, tweak: bytes) -> np.ndarray:
        """Encrypt a (count, n) matrix of numerals (0..radix-1), one row per value."""
        return self._crypt_numerals(numerals, tweak, decrypt=False)

    def decrypt_numerals(self, numerals: np.ndarray, tweak: bytes) -> np.ndarray:
        return self._crypt_numerals(numerals, tweak, decrypt=True)

    # -- strings (reference API, used by the test vectors and small batches) -------------
    def _to_numerals(self, values: Sequence[str]) -> np.ndarray:
        try:
            return np.array([[self._index[ch] for ch in value] for value in values], dtype=np.int64)
        except KeyError:
            raise ValueError("value holds a character outside the FF3-1 alphabet") from None

    def _crypt_strings(self, values: Sequence[str], tweak: bytes, decrypt: bool) -> list[str]:
        out: list[str] = [""] * len(values)
        by_length: dict[int, list[int]] = {}
        for pos, value in enumerate(values):
            by_length.setdefault(len(value), []).append(pos)
        for _n, positions in by_length.items():
            numerals = self._to_numerals([values[p] for p in positions])
            result = self._crypt_numerals(numerals, tweak, decrypt)
            for p, row in zip(positions, result):
                out[p] = "".join(self.alphabet[d] for d in row)
        return out

    def encrypt(self, values: Sequence[str], tweak: bytes) -> list[str]:
        """Encrypt strings over the alphabet (any mix of valid lengths) with one tweak."""
        return self._crypt_strings(values, tweak, decrypt=False)

    def decrypt(self, values: Sequence[str], tweak: bytes) -> list[str]:
        return self._crypt_strings(values, tweak, decrypt=True)


def luhn_valid(digits: np.ndarray) -> np.ndarray:
    """Luhn check of each row of a (count, n) digit matrix (rightmost digit is the check digit)."""
    digits = np.asarray(digits, dtype=np.int64)
    n = digits.shape[1]
    doubled = (n - 1 - np.arange(n)) % 2 == 1  # every second digit counted from the right
    values = np.where(doubled, digits * 2, digits)
    values = np.where(values > 9, values - 9, values)
    return values.sum(axis=1) % 10 == 0


def _luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """The digit that makes body || digit Luhn-valid, per row."""
    body = np.asarray(body, dtype=np.int64)
    n = body.shape[1]
    doubled = (n - np.arange(n)) % 2 == 1  # positions that are doubled once the check digit is appended
    values = np.where(doubled, body * 2, body)
    values = np.where(values > 9, values - 9, values)
    return (10 - values.sum(axis=1) % 10) % 10


class FormatPreservingCodec:
    """Tokenizes and restores batches of string values with FF3-1 (see the module docstring).

    ``ff3_keys`` / ``fallback_keys`` map key versions to derived keys (32 bytes for FF3-1, 64 for
    the AES-SIV fallback). Encryption uses ``version``; decryption of FF3-1 tokens uses
    ``version`` too (the key version travels in the column metadata, not in the value) while a
    fallback token names its own version.
    """

    def __init__(self, *, alphabet: str, preserve_prefix: int, preserve_suffix: int, luhn: bool,
                 domain: str, version: str, ff3_keys: Mapping[str, bytes],
                 fallback_keys: Mapping[str, bytes]) -> None:
        if alphabet not in ALPHABETS:
            raise ValueError(f"unknown alphabet; valid: {', '.join(ALPHABETS)}")
        if luhn and alphabet != "digits":
            raise ValueError("luhn needs the digits alphabet")
        self.alphabet_name = alphabet
        self.alphabet = ALPHABETS[alphabet]
        self.prefix = int(preserve_prefix)
        self.suffix = int(preserve_suffix)
        self.luhn = bool(luhn)
        self.domain = domain
        self.version = version
        self.tweak = derive_tweak(domain)
        self._aad = b"secure-transform/fpe-fallback/" + domain.encode("utf-8")
        self._ff3_keys = dict(ff3_keys)
        self._fallback_keys = dict(fallback_keys)
        self._ciphers: dict[str, FF3_1] = {}
        self._sivs: dict[str, Any] = {}
        lut = np.full(256, -1, dtype=np.int64)
        for i, ch in enumerate(self.alphabet):
            lut[ord(ch)] = i
        self._lut = lut
        self._alphabet_bytes = np.frombuffer(self.alphabet.encode("ascii"), dtype=np.uint8)
        allowed = "".join("\\" + c if c in string.punctuation else c for c in self.alphabet + SEPARATORS[alphabet])
        self._eligible_pattern = f"^[{allowed}]*$"
        probe = FF3_1(bytes(16), self.alphabet)
        self.min_len, self.max_len = probe.min_len, probe.max_len

    def __repr__(self) -> str:
        return (f"FormatPreservingCodec(alphabet={self.alphabet_name!r}, prefix={self.prefix}, "
                f"suffix={self.suffix}, luhn={self.luhn}, version={self.version!r})")

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_ciphers"] = {}
        state["_sivs"] = {}
        return state

    def _siv(self, version: str) -> Any:
        if version not in self._sivs:
            from cryptography.hazmat.primitives.ciphers.aead import AESSIV

            self._sivs[version] = AESSIV(self._fallback_keys[version])
        return self._sivs[version]

    def _cipher(self, version: str) -> FF3_1:
        if version not in self._ciphers:
            self._ciphers[version] = FF3_1(self._ff3_keys[version], self.alphabet)
        return self._ciphers[version]

    # -- public batch API ----------------------------------------------------------------
    def encrypt(self, values: Any) -> Any:
        """Tokenize a batch (sequence, pandas Series or Arrow string array) into an Arrow string array.

        ``None`` stays ``None`` and ``""`` stays ``""``."""
        return self._run(values, decrypt=False)

    def decrypt(self, values: Any) -> Any:
        """Restore a batch of tokens; a token that cannot be decrypted becomes ``None``."""
        return self._run(values, decrypt=True)

    # -- batch processing ----------------------------------------------------------------
    def _run(self, values: Any, decrypt: bool) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        if isinstance(values, pa.ChunkedArray):
            arr = values.combine_chunks()
        elif isinstance(values, pa.Array):
            arr = values
        else:
            arr = pa.array(values, type=pa.string(), from_pandas=True)
        count = len(arr)
        if count == 0:
            return pa.array([], type=pa.string())
        valid = arr.is_valid().to_numpy(zero_copy_only=False)
        lengths = pc.binary_length(arr).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
        nonempty = valid & (lengths > 0)
        # null stays null, "" stays "": both pass through unchanged
        pieces: list[tuple[np.ndarray, Any]] = [(np.flatnonzero(~nonempty), arr.filter(pa.array(~nonempty)))]
        if decrypt:
            is_fallback = pc.starts_with(arr, FALLBACK_MARKER).fill_null(False).to_numpy(zero_copy_only=False)
            fallback_rows = np.flatnonzero(nonempty & is_fallback)
            candidate = nonempty & ~is_fallback
        else:
            fallback_rows = np.array([], dtype=np.int64)
            candidate = nonempty
        eligible = candidate & (lengths <= _MAX_BYTES)
        if eligible.any():
            eligible &= pc.match_substring_regex(arr, self._eligible_pattern).fill_null(False).to_numpy(
                zero_copy_only=False)
        rows = np.flatnonzero(eligible)
        failed = np.flatnonzero(candidate & ~eligible)
        if rows.size:
            done_rows, strings, too_short = self._fpe_rows(arr.take(pa.array(rows)), rows, lengths[rows], decrypt)
            pieces.append((done_rows, strings))
            failed = np.sort(np.concatenate([failed, too_short]))
        if decrypt:
            # An FF3-1 token no longer of an FF3-1 shape was altered: it has no original value.
            pieces.append((failed, pa.nulls(len(failed), type=pa.string())))
            tokens = arr.take(pa.array(fallback_rows)).to_pylist()
            pieces.append((fallback_rows, pa.array([self._fallback_decrypt(t) for t in tokens], type=pa.string())))
        elif failed.size:
            plain = arr.take(pa.array(failed)).to_pylist()
            pieces.append((failed, pa.array([self._fallback_encrypt(v) for v in plain], type=pa.string())))
        positions = np.concatenate([p for p, _ in pieces])
        merged = pa.concat_arrays([a for _, a in pieces])
        return merged.take(pa.array(np.argsort(positions, kind="stable")))

    def _fpe_rows(self, sub: Any, rows: np.ndarray, lens: np.ndarray,
                  decrypt: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """FF3-1 over eligible ASCII rows (``sub`` = those rows, contiguous).

        Returns (rows done, their output strings, rows needing the fallback).
        """
        import pyarrow as pa

        count = len(sub)
        offsets = np.frombuffer(sub.buffers()[1], dtype=np.int32)[sub.offset:sub.offset + count + 1].astype(np.int64)
        data = np.frombuffer(sub.buffers()[2], dtype=np.uint8)
        width = int(lens.max())
        uniform = bool((lens == width).all())
        if uniform:  # common case (card/account numbers): no padding, a plain reshape
            matrix = data[offsets[0]:offsets[0] + count * width].reshape(count, width).copy()
            inside = None
        else:
            cols = np.arange(width)
            inside = cols[None, :] < lens[:, None]
            matrix = np.where(inside, data[np.where(inside, offsets[:-1, None] + cols[None, :], 0)], 0).astype(np.uint8)
        numerals = self._lut[matrix]  # padding byte 0 maps to -1
        is_alpha = numerals >= 0
        n_alpha = is_alpha.sum(axis=1)
        if bool((n_alpha == lens).all()):  # no separators: numerals are already in order
            order = None
            packed = numerals
        else:
            order = np.argsort(~is_alpha, axis=1, kind="stable")  # alphabet positions first, in order
            packed = np.take_along_axis(numerals, order, axis=1)
        done = np.ones(count, dtype=bool)
        core_need = self.prefix + self.suffix + (1 if self.luhn and self.suffix == 0 else 0)
        for n in np.unique(n_alpha).tolist():
            group = np.flatnonzero(n_alpha == n)
            if n - core_need < self.min_len or n - self.prefix - self.suffix > self.max_len:
                done[group] = False
                continue
            result = self._alphabet_bytes[self._crypt_group(packed[group, :n], decrypt)]
            if order is None:
                matrix[group, :n] = result
            else:
                matrix[group[:, None], order[group, :n]] = result
        kept_lens = lens[done]
        if inside is None:
            flat = matrix[done].ravel()
        else:
            flat = matrix[done][inside[done]]
        new_offsets = np.zeros(len(kept_lens) + 1, dtype=np.int32)
        np.cumsum(kept_lens, out=new_offsets[1:])
        strings = pa.StringArray.from_buffers(len(kept_lens), pa.py_buffer(new_offsets.tobytes()),
                                              pa.py_buffer(flat.tobytes()))
        return rows[done], strings, rows[~done]

    def _crypt_group(self, digits: np.ndarray, decrypt: bool) -> np.ndarray:
        cipher = self._cipher(self.version)
        n = digits.shape[1]
        start, stop = self.prefix, n - self.suffix
        result = digits.copy()
        if not self.luhn:
            crypt = cipher.decrypt_numerals if decrypt else cipher.encrypt_numerals
            result[:, start:stop] = crypt(digits[:, start:stop], self.tweak)
            return result
        valid = luhn_valid(digits)
        walk_rows = np.arange(len(digits))
        if self.suffix == 0:
            # Luhn-valid values: encrypt all but the check digit, then recompute it (one pass).
            body_rows = np.flatnonzero(valid)
            if body_rows.size:
                crypt = cipher.decrypt_numerals if decrypt else cipher.encrypt_numerals
                body = crypt(digits[body_rows, start:n - 1], self.tweak)
                result[body_rows, start:n - 1] = body
                result[body_rows, n - 1] = _luhn_check_digit(result[body_rows, :n - 1])
            walk_rows = np.flatnonzero(~valid)
        if walk_rows.size:
            result[walk_rows] = self._cycle_walk(digits[walk_rows], valid[walk_rows], start, stop, decrypt, cipher)
        return result

    def _cycle_walk(self, digits: np.ndarray, want_valid: np.ndarray, start: int, stop: int,
                    decrypt: bool, cipher: FF3_1) -> np.ndarray:
        """Re-apply the permutation until the Luhn status equals the input's (a bijection on each set)."""
        crypt = cipher.decrypt_numerals if decrypt else cipher.encrypt_numerals
        current = digits.copy()
        pending = np.arange(len(digits))
        for _ in range(100_000):
            current[pending, start:stop] = crypt(current[pending, start:stop], self.tweak)
            pending = pending[luhn_valid(current[pending]) != want_valid[pending]]
            if pending.size == 0:
                return current
        raise RuntimeError("FF3-1 cycle walking did not terminate")  # pragma: no cover - p < 1e-4000

    # -- fallback (AES-SIV, deterministic and reversible) ------------------------------
    def _fallback_encrypt(self, value: str) -> str:
        sealed = self._siv(self.version).encrypt(value.encode("utf-8"), [self._aad])
        text = base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")
        return f"{FALLBACK_MARKER}{self.version}{FALLBACK_MARKER}{text}"

    def _fallback_decrypt(self, token: str) -> str | None:
        from cryptography.exceptions import InvalidTag

        parts = token.split(FALLBACK_MARKER)
        if len(parts) != 3 or parts[0] or parts[1] not in self._fallback_keys:
            return None
        body = parts[2]
        try:
            sealed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return self._siv(parts[1]).decrypt(sealed, [self._aad]).decode("utf-8")
        except (ValueError, InvalidTag, UnicodeDecodeError):
            return None
