"""Language codes: normalise ISO 639 codes so 'spa', 'es' and 'es-MX' compare equal.

Also reads whether a service's ``interpretation_services`` text offers interpretation.
"""

from __future__ import annotations

import re

# ISO 639-2/3 codes of languages common in US hotline calls, mapped to ISO 639-1, because
# HSDS allows either and referrals carry 639-1 ('en', 'es').
_THREE_TO_TWO = {
    "eng": "en",
    "spa": "es",
    "vie": "vi",
    "zho": "zh",
    "chi": "zh",
    "cmn": "zh",
    "kor": "ko",
    "tgl": "tl",
    "fil": "tl",
    "rus": "ru",
    "ara": "ar",
    "fas": "fa",
    "per": "fa",
    "hin": "hi",
    "urd": "ur",
    "pol": "pl",
    "slk": "sk",
    "slo": "sk",
    "por": "pt",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "ita": "it",
    "jpn": "ja",
    "som": "so",
    "amh": "am",
    "hat": "ht",
    "khm": "km",
    "arm": "hy",
    "hye": "hy",
}

_NAMES = {
    "en": "English",
    "es": "Spanish",
    "vi": "Vietnamese",
    "zh": "Chinese",
    "ko": "Korean",
    "tl": "Tagalog",
    "ru": "Russian",
    "ar": "Arabic",
    "fa": "Persian",
    "hi": "Hindi",
    "ur": "Urdu",
    "pl": "Polish",
    "sk": "Slovak",
    "pt": "Portuguese",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "ja": "Japanese",
    "so": "Somali",
    "am": "Amharic",
    "ht": "Haitian Creole",
    "km": "Khmer",
    "hy": "Armenian",
    "hmn": "Hmong",
}


def normalize_language(code: str) -> str:
    """Return the comparable form of an ISO 639 language code.

    Parameters
    ----------
    code : str
        An ISO 639-1, 639-2 or 639-3 code, optionally with a region subtag ('es-MX').

    Returns
    -------
    str
        The lower-case ISO 639-1 code where one is known, else the lower-case primary subtag.
    """
    primary = code.strip().lower().replace("_", "-").split("-", 1)[0]
    return _THREE_TO_TWO.get(primary, primary)


def language_name(code: str) -> str:
    """Return an English display name for a normalised code, or the code itself.

    Parameters
    ----------
    code : str
        A code as returned by :func:`normalize_language`.

    Returns
    -------
    str
        For example ``'Spanish'`` for ``'es'``.
    """
    return _NAMES.get(code, code)


# Said in the field when a directory means "no interpretation": "None", "No", "N/A", "none
# available", "No interpreters", "Not offered", "-".
_NO_INTERPRETATION = re.compile(
    r"(?:none|no|nil|n/?a|-+|unavailable|not (?:available|offered|provided)"
    r"|(?:none|no (?:interpretation|interpreters?|interpreting)(?: services?)?)"
    r"(?: (?:available|offered|provided))?)",
    re.IGNORECASE,
)


def interpretation_offered(text: str | None) -> str | None:
    """Return a service's ``interpretation_services`` text, or None if it offers none.

    Parameters
    ----------
    text : str or None
        The directory's text.

    Returns
    -------
    str or None
        None for an empty text or one that says there is none ("None", "No", "N/A",
        "none available", "No interpreters"); otherwise the text, shown to the screener.
    """
    if text is None:
        return None
    plain = " ".join(text.split()).strip(" .!;:")
    if not plain or _NO_INTERPRETATION.fullmatch(plain):
        return None
    return text
