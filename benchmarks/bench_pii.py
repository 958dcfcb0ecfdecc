"""PII stage benchmark: recall, false positives and speed, against naive presidio.

Run:  python benchmarks/bench_pii.py [--docs N] [--out benchmarks/results/pii.md]

* **Labelled set**: PII values generated for 10 locales (en_US, de_DE, fr_FR, es_ES,
  it_IT, nl_NL, pl_PL, pt_BR, ja_JP, zh_CN) with valid checksums and valid phone
  numbers (python-phonenumbers metadata), embedded in carrier sentences of the
  locale's language (for ja/zh also written right against the characters, without
  spaces). Recall per entity = planted values covered by a span of the right type.
* **Decoys**: PII-free prose in 13 languages with dates, times, prices, years,
  counts, private IPs and version numbers, and source code / logs / requirement files
  full of version strings. Every span found there is a false positive (per MB).
* **Speed** on web-like text (paragraphs of prose, ~10% of documents with one PII
  value): documents/s and MB/s with and without the pre-check.
* **Peer**: presidio's ``AnalyzerEngine`` used naively — default registry,
  ``NoOpNlpEngine``, language "en" for every document, default phone regions, no
  pre-check, no IP keep rules — on the same texts (its tldextract is pointed at the
  bundled snapshot and the network is blocked, so it cannot fetch anything either).

Random choices come from keyed hashes (pipeline.hashing), so the sets are the same
on every run.
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import os
import platform
import resource
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import phonenumbers  # noqa: E402
from phonenumbers import PhoneNumberFormat, PhoneNumberType  # noqa: E402

from pipeline.config.pii import DEFAULT_ENTITIES, PiiConfig  # noqa: E402
from pipeline.hashing import keyed_hash64  # noqa: E402
from machine import cpu_model  # noqa: E402  (benchmarks/ is on sys.path when run as a script)
from prose import PLAIN  # noqa: E402


def _no_network(*args, **kwargs):
    raise RuntimeError("network access attempted during the benchmark")


socket.socket.connect = _no_network  # type: ignore[assignment]
socket.create_connection = _no_network  # type: ignore[assignment]


class Rng:
    """Deterministic choices from keyed hashes."""

    def __init__(self, seed: int, purpose: str):
        self.seed, self.purpose, self.n = seed, purpose, 0

    def int(self, n: int) -> int:
        self.n += 1
        return keyed_hash64(self.seed, self.purpose, str(self.n)) % n

    def choice(self, items):
        return items[self.int(len(items))]

    def digits(self, k: int) -> str:
        return "".join(str(self.int(10)) for _ in range(k))

    def bytes(self, k: int) -> bytes:
        return bytes(self.int(256) for _ in range(k))


# ----------------------------------------------------------------------------- values

LOCALES = {
    # locale: (lang, phone region, IBAN countries, e-mail domains, names)
    "en_US": ("en", "US", ["GB", "IE"], ["gmail.com", "acme-corp.com", "mail.example.org"], ["john.smith", "mary_jones", "bob.w"]),
    "de_DE": ("de", "DE", ["DE", "AT"], ["web.de", "gmx.de", "mueller-bau.de"], ["max.mustermann", "jürgen.weiß", "anna.schmidt"]),
    "fr_FR": ("fr", "FR", ["FR", "BE"], ["orange.fr", "laposte.net", "societe.fr"], ["jean.dupont", "marie-claire", "élodie.martin"]),
    "es_ES": ("es", "ES", ["ES"], ["telefonica.es", "correo.es", "empresa.com.es"], ["jose.garcia", "maria.lopez", "nuria88"]),
    "it_IT": ("it", "IT", ["IT"], ["libero.it", "virgilio.it", "azienda.it"], ["mario.rossi", "giulia.bianchi", "luca_verdi"]),
    "nl_NL": ("nl", "NL", ["NL", "BE"], ["ziggo.nl", "kpnmail.nl", "bedrijf.nl"], ["jan.devries", "sanne.bakker", "pieter.j"]),
    "pl_PL": ("pl", "PL", ["PL"], ["wp.pl", "onet.pl", "firma.com.pl"], ["jan.kowalski", "anna.nowak", "piotr.w"]),
    "pt_BR": ("pt", "BR", ["BR", "PT"], ["uol.com.br", "bol.com.br", "empresa.com.br"], ["joao.silva", "ana.souza", "carlos.s"]),
    "ja_JP": ("ja", "JP", ["DE", "FR"], ["docomo.ne.jp", "example.co.jp", "yahoo.co.jp"], ["taro.yamada", "hanako.s", "k.tanaka"]),
    "zh_CN": ("zh", "CN", ["GB", "DE"], ["163.com", "qq.com", "example.com.cn"], ["zhang.wei", "li.na", "wang_fang"]),
}

CARRIERS = {
    "en": ["Please contact {v} for further details.", "My details: {v}. Thanks!", "Reach out at {v} anytime."],
    "de": ["Bei Fragen wenden Sie sich bitte an {v}, danke.", "Meine Angaben: {v}.", "Erreichbar unter {v} ab Montag."],
    "fr": ["Pour toute question, contactez {v} rapidement.", "Mes coordonnées : {v}.", "Joignable au {v} dès lundi."],
    "es": ["Para más información escriba a {v}, gracias.", "Mis datos: {v}.", "Puede llamar al {v} mañana."],
    "it": ["Per informazioni scrivete a {v}, grazie.", "I miei dati: {v}.", "Contattami al {v} domani."],
    "nl": ["Neem voor vragen contact op via {v}, bedankt.", "Mijn gegevens: {v}.", "Bereikbaar op {v} vanaf maandag."],
    "pl": ["W razie pytań proszę pisać na {v}, dziękuję.", "Moje dane: {v}.", "Kontakt pod {v} od poniedziałku."],
    "pt": ["Para mais informações escreva para {v}, obrigado.", "Meus dados: {v}.", "Ligue para {v} amanhã."],
    "ja": ["詳しくは {v} までお問い合わせください。", "連絡先：{v}、よろしくお願いします。", "詳しくは{v}までお問い合わせください。"],
    "zh": ["如有疑问请联系 {v} 谢谢。", "我的信息：{v}，请查收。", "请发到{v}联系我们。"],
}


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def make_card(rng: Rng) -> str:
    kind = rng.int(5)
    if kind == 0:
        number = luhn_complete("4" + rng.digits(14))
    elif kind == 1:
        number = luhn_complete("5" + str(1 + rng.int(5)) + rng.digits(13))
    elif kind == 2:
        number = luhn_complete("3" + rng.choice("47") + rng.digits(12))
        return [number, f"{number[:4]} {number[4:10]} {number[10:]}"][rng.int(2)]
    elif kind == 3:
        number = luhn_complete("6011" + rng.digits(11))
    else:
        number = luhn_complete("35" + str(28 + rng.int(62)) + rng.digits(11))
    sep = rng.choice(["", " ", "-"])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


IBAN_BBAN = {  # country: list of (kind, count) with n digits, a upper letters, c alphanumerics
    "DE": [("n", 18)], "AT": [("n", 16)], "FR": [("n", 10), ("c", 11), ("n", 2)], "BE": [("n", 12)],
    "ES": [("n", 20)], "IT": [("a", 1), ("n", 10), ("c", 12)], "NL": [("a", 4), ("n", 10)],
    "PL": [("n", 24)], "BR": [("n", 23), ("a", 1), ("c", 1)], "PT": [("n", 21)],
    "GB": [("a", 4), ("n", 14)], "IE": [("a", 4), ("n", 14)],
}
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def make_iban(rng: Rng, country: str) -> str:
    bban = ""
    for kind, count in IBAN_BBAN[country]:
        for _ in range(count):
            if kind == "n":
                bban += str(rng.int(10))
            elif kind == "a":
                bban += rng.choice(_UPPER)
            else:
                bban += rng.choice(_UPPER + "0123456789")
    numeric = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    iban = f"{country}{98 - int(numeric) % 97:02d}{bban}"
    if rng.int(2):
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    return iban


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def base58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(data, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def bech32_address(program: bytes) -> str:
    data, acc, bits = [0], 0, 0
    for b in program:
        acc, bits = (acc << 8) | b, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((acc >> bits) & 31)
    if bits:
        data.append((acc << (5 - bits)) & 31)
    hrp = "bc"
    expanded = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]
    polymod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in data + checksum)


def make_crypto(rng: Rng) -> str:
    kind = rng.int(3)
    if kind == 0:
        return base58check(b"\x00" + rng.bytes(20))
    if kind == 1:
        return base58check(b"\x05" + rng.bytes(20))
    return bech32_address(rng.bytes(20))


def make_ip(rng: Rng) -> str:
    while True:
        if rng.int(10) < 7:
            octets = [1 + rng.int(223), rng.int(256), rng.int(256), 1 + rng.int(254)]
            text = ".".join(map(str, octets))
            address = ipaddress.ip_address(text)
            if address.is_global and not address.is_multicast and not all(o < 10 for o in octets):
                return text
        else:
            groups = [0x2000 + rng.int(0x1000)] + [rng.int(0x10000) for _ in range(7)]
            if rng.int(2):
                groups[4:7] = [0, 0, 0]
            address = ipaddress.ip_address(":".join(f"{g:x}" for g in groups))
            if address.is_global:
                return str(address)


def make_phone(rng: Rng, region: str) -> str:
    kind = rng.choice([PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE])
    example = phonenumbers.example_number_for_type(region, kind) or phonenumbers.example_number(region)
    nsn = phonenumbers.national_significant_number(example)
    for _ in range(200):
        keep = max(2, len(nsn) - 6)
        candidate = nsn[:keep] + rng.digits(len(nsn) - keep)
        number = phonenumbers.parse(candidate, region)
        if phonenumbers.is_valid_number(number):
            style = rng.choice([PhoneNumberFormat.NATIONAL, PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL,
                                PhoneNumberFormat.E164])
            text = phonenumbers.format_number(number, style)
            if style == PhoneNumberFormat.NATIONAL and " " in text and rng.int(3) == 0:
                kind = rng.int(3)
                if kind == 2:
                    text = text.replace(" ", "/", 1)  # 030/1234567
                else:
                    text = text.replace(" ", ".-"[kind])  # 06.12.34.56.78, 030-1234567
            return text
    return phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)


def make_email(rng: Rng, names, domains) -> str:
    name = rng.choice(names)
    if rng.int(3) == 0:
        name += str(rng.int(100))
    return f"{name}@{rng.choice(domains)}"


def labelled_set(per_entity: int, seed: int = 2024):
    """[(locale, lang, entity, text, value_start, value_end)]."""
    rng = Rng(seed, "bench/pii/labelled")
    out = []
    for locale, (lang, region, ibans, domains, names) in LOCALES.items():
        for entity in DEFAULT_ENTITIES:
            for _ in range(per_entity):
                if entity == "EMAIL_ADDRESS":
                    value = make_email(rng, names, domains)
                elif entity == "PHONE_NUMBER":
                    value = make_phone(rng, region)
                elif entity == "IP_ADDRESS":
                    value = make_ip(rng)
                elif entity == "CREDIT_CARD":
                    value = make_card(rng)
                elif entity == "IBAN_CODE":
                    value = make_iban(rng, rng.choice(ibans))
                else:
                    value = make_crypto(rng)
                template = rng.choice(CARRIERS[lang])
                prefix = prose(rng, lang, 1)
                text = prefix + " " + template.format(v=value)
                start = len(prefix) + 1 + template.index("{v}")
                out.append((locale, lang, entity, text, start, start + len(value)))
    return out


# ----------------------------------------------------------------------------- decoys

PROSE = {
    "en": ["The meeting on {date} starts at {time} in room {n}.", "Prices rose {pct}% in {year}, to ${price}.",
           "Version {ver} fixes {n} bugs; see section {sec}.", "Our router uses {priv} and the build is {quad}.",
           "Call us by {year}! Over {big} people visited between {year} and {year2}."],
    "de": ["Die Sitzung am {date} beginnt um {time} Uhr in Raum {n}.", "Die Preise stiegen {year} um {pct} % auf {price} Euro.",
           "Version {ver} behebt {n} Fehler, siehe Abschnitt {sec}.", "Im Jahr {year} lebten {big} Menschen in der Stadt."],
    "fr": ["La réunion du {date} commence à {time} en salle {n}.", "Les prix ont augmenté de {pct} % en {year}, à {price} €.",
           "La version {ver} corrige {n} bogues (voir § {sec}).", "En {year}, {big} habitants vivaient ici."],
    "es": ["La reunión del {date} empieza a las {time} en la sala {n}.", "Los precios subieron un {pct} % en {year}.",
           "La versión {ver} corrige {n} errores.", "En {year} vivían {big} personas en la ciudad."],
    "it": ["La riunione del {date} inizia alle {time} nella sala {n}.", "I prezzi sono saliti del {pct}% nel {year}.",
           "La versione {ver} corregge {n} errori.", "Nel {year} vivevano {big} persone in città."],
    "nl": ["De vergadering op {date} begint om {time} in zaal {n}.", "De prijzen stegen in {year} met {pct}%.",
           "Versie {ver} lost {n} fouten op.", "In {year} woonden er {big} mensen in de stad."],
    "pl": ["Spotkanie {date} zaczyna się o {time} w sali {n}.", "Ceny wzrosły o {pct}% w {year} roku.",
           "Wersja {ver} naprawia {n} błędów.", "W {year} roku miasto liczyło {big} mieszkańców."],
    "pt": ["A reunião de {date} começa às {time} na sala {n}.", "Os preços subiram {pct}% em {year}.",
           "A versão {ver} corrige {n} erros.", "Em {year}, {big} pessoas moravam na cidade."],
    "ja": ["会議は{year}年{m}月{d}日{time}から{n}号室で行います。", "価格は{year}年に{pct}%上昇し{big}円になりました。",
           "バージョン{ver}では{n}件の不具合を修正しました。", "ルーターのアドレスは{priv}です。"],
    "zh": ["会议于{year}年{m}月{d}日{time}在{n}号会议室举行。", "{year}年价格上涨了{pct}%，达到{big}元。",
           "版本{ver}修复了{n}个问题。", "第{quad}条规定适用于本合同。"],
    "ru": ["Совещание {date} начнётся в {time} в комнате {n}.", "В {year} году цены выросли на {pct}%.",
           "Версия {ver} исправляет {n} ошибок.", "В {year} году в городе жили {big} человек."],
    "ar": ["يبدأ الاجتماع في {date} الساعة {time} في الغرفة {n}.", "ارتفعت الأسعار بنسبة {pct}% في عام {year}.",
           "الإصدار {ver} يصلح {n} أخطاء."],
    "th": ["การประชุมวันที่ {date} เริ่มเวลา {time} ห้อง {n}", "ราคาเพิ่มขึ้น {pct}% ในปี {year}", "เวอร์ชัน {ver} แก้ไขข้อผิดพลาด {n} รายการ"],
}




def web_prose(rng: Rng, lang: str, sentences: int) -> str:
    """Web-like prose: about one sentence in four carries numbers (dates, prices, versions, ...)."""
    sep = "" if lang in ("ja", "zh", "th") else " "
    return sep.join(_fill(rng, rng.choice(PROSE[lang])) if rng.int(4) == 0 else rng.choice(PLAIN[lang])
                    for _ in range(sentences))


def _big_number(rng: Rng) -> str:
    """A count of log-uniform magnitude (10^3 .. 10^9), with or without thousands separators."""
    digits = 4 + rng.int(6)
    value = str(10 ** (digits - 1) + rng.int(9 * 10 ** (digits - 1)))
    if rng.int(2):
        head = len(value) % 3 or 3
        return " ".join([value[:head]] + [value[i : i + 3] for i in range(head, len(value), 3)])
    return value


def _fill(rng: Rng, template: str) -> str:
    year = 1950 + rng.int(75)
    values = {
        "date": rng.choice([f"{year}-{1 + rng.int(12):02d}-{1 + rng.int(28):02d}", f"{1 + rng.int(28):02d}.{1 + rng.int(12):02d}.{year}",
                            f"{1 + rng.int(28)}/{1 + rng.int(12)}/{year}"]),
        "time": f"{rng.int(24):02d}:{rng.int(60):02d}",
        "n": str(1 + rng.int(500)), "pct": f"{rng.int(40)},{rng.int(10)}", "year": str(year),
        "year2": str(year + 1 + rng.int(20)), "price": f"{1 + rng.int(9999)}.{rng.int(100):02d}",
        "ver": rng.choice([f"{rng.int(10)}.{rng.int(30)}.{rng.int(20)}", f"{rng.int(5)}.{rng.int(10)}.{rng.int(10)}.{rng.int(10)}",
                           f"v{rng.int(20)}.{rng.int(20)}"]),
        "sec": f"{1 + rng.int(9)}.{1 + rng.int(9)}.{1 + rng.int(9)}",
        "priv": rng.choice([f"192.168.{rng.int(256)}.{1 + rng.int(254)}", f"10.{rng.int(256)}.{rng.int(256)}.{1 + rng.int(254)}",
                            "127.0.0.1", f"172.{16 + rng.int(16)}.{rng.int(256)}.{1 + rng.int(254)}"]),
        "quad": f"{rng.int(10)}.{rng.int(10)}.{rng.int(10)}.{rng.int(10)}",
        "big": _big_number(rng),
        "m": str(1 + rng.int(12)), "d": str(1 + rng.int(28)),
    }
    return template.format(**values)


def prose(rng: Rng, lang: str, sentences: int) -> str:
    sep = "" if lang in ("ja", "zh", "th") else " "
    return sep.join(_fill(rng, rng.choice(PROSE[lang])) for _ in range(sentences))


CODE = [
    "numpy=={a}.{b}.{c}\nrequests>={a}.{b}.{c}.{d}\ntorch==2.{b}.{c}+cu121\n",
    'FROM python:3.{b}.{c}-slim\nRUN pip install "flask=={a}.{b}.{c}"\nEXPOSE {port}\n',
    '{{"name": "app", "version": "{a}.{b}.{c}", "dependencies": {{"react": "^18.{b}.{c}", "lodash": "4.17.{c}"}}}}\n',
    "__version__ = '{a}.{b}.{c}.{d}'\nVERSION_INFO = ({a}, {b}, {c}, {d})\n",
    "#define LIB_VERSION \"{a}.{b}.{c}.{d}\"\nstatic const int build = {big};\n",
    "2023-{m:02d}-{dd:02d}T{hh:02d}:{mi:02d}:{ss:02d}Z INFO server listening on 127.0.0.1:{port} pid={pid}\n",
    "[{hh:02d}:{mi:02d}:{ss:02d}] GET /api/v{a}/items?id={big} 200 {ms}ms from 10.0.{b}.{c}\n",
    "commit {sha}\nAuthor: dev <dev@localhost>\nDate: 2023-{m:02d}-{dd:02d}\n",
    "@python@3.{b}\n@decorator\ndef f(x):\n    return x * {big} + 0x{hexv}\n",
    "uuid = '{uuid}'\nmac = '00:1a:2b:{c:02x}:{d:02x}:5e'\nchmod 0755 /usr/lib/lib.so.{a}.{b}.{c}\n",
    "cargo 1.{b}.{c} (rustc 1.{b}.{c} 2023-{m:02d}-{dd:02d})\ngcc version {a}.{b}.{c} 20230{m}{dd:02d}\n",
    "OID 1.3.6.1.4.1.{big}.{a}.{b}\nkernel 5.{b}.{c}-{d}-generic\nsnmp 1.3.6.1.2.1.{a}.{b}.{c}.{d}\n",
]


def code(rng: Rng) -> str:
    template = rng.choice(CODE)
    values = dict(a=rng.int(10), b=rng.int(30), c=rng.int(20), d=rng.int(10), big=rng.int(10**6), port=1024 + rng.int(60000),
                  m=1 + rng.int(12), dd=1 + rng.int(28), hh=rng.int(24), mi=rng.int(60), ss=rng.int(60), pid=rng.int(99999),
                  ms=rng.int(999), sha=f"{keyed_hash64(1, 'sha', str(rng.int(10**9))):016x}" * 2 + "abcdef01",
                  hexv=f"{rng.int(2**32):08X}", uuid="-".join(f"{rng.int(16**k):0{k}x}" for k in (8, 4, 4, 4, 12)))
    return template.format(**values)


def decoy_sets(size_bytes: int, seed: int = 77):
    rng = Rng(seed, "bench/pii/decoys")
    langs = sorted(PROSE)
    prose_docs, code_docs = [], []
    total = 0
    while total < size_bytes:
        lang = langs[len(prose_docs) % len(langs)]
        doc = prose(rng, lang, 8)
        prose_docs.append((lang, doc))
        total += len(doc.encode())
    total = 0
    while total < size_bytes:
        doc = "".join(code(rng) for _ in range(6))
        code_docs.append(("en", doc))
        total += len(doc.encode())
    return prose_docs, code_docs


def web_corpus(n_docs: int, seed: int = 5):
    """Web-like documents: three paragraphs of prose, one document in ten with a PII value."""
    rng = Rng(seed, "bench/pii/web")
    locales = sorted(LOCALES)
    docs = []
    for i in range(n_docs):
        locale = locales[i % len(locales)]
        lang, region, ibans, domains, names = LOCALES[locale]
        paragraphs = [web_prose(rng, lang, 6) for _ in range(3)]
        planted = None
        if rng.int(10) == 0:
            value = rng.choice([make_email(rng, names, domains), make_phone(rng, region), make_ip(rng)])
            carrier = rng.choice(CARRIERS[lang])
            start = len(paragraphs[0]) + 2 + len(paragraphs[1]) + 1 + carrier.index("{v}")
            paragraphs[1] += " " + carrier.format(v=value)
            planted = (start, start + len(value))
        docs.append((lang, "\n\n".join(paragraphs), planted))
    return docs


def web_errors(find, docs):
    """Planted values missed, and spans found outside them (false positives)."""
    missed = extra = 0
    for lang, text, planted in docs:
        spans = find(text, lang)
        if planted and not any(s <= planted[0] and t >= planted[1] for _, s, t in spans):
            missed += 1
        extra += sum(1 for _, s, t in spans if not planted or t <= planted[0] or s >= planted[1])
    return missed, sum(1 for d in docs if d[2]), extra


# ----------------------------------------------------------------------------- engines

ENTITIES = list(DEFAULT_ENTITIES)


def build_ours(precheck: bool = True):
    from pipeline.stages.pii_core import PiiScrubber

    scrubber = PiiScrubber(PiiConfig(precheck=precheck))
    return lambda text, lang: [(s.entity, s.start, s.end) for s in scrubber.find(text, lang)[0]]


def build_peer():
    import tldextract.tldextract as tld_module
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NoOpNlpEngine

    from pipeline.stages.pii_recognizers import offline_tld_extractor

    tld_module.TLD_EXTRACTOR = offline_tld_extractor()  # presidio calls tldextract.extract()
    engine = AnalyzerEngine(nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}]),
                            supported_languages=["en"])

    def find(text, lang):
        results = engine.analyze(text=text, language="en", entities=ENTITIES)
        return [(r.entity_type, r.start, r.end) for r in results]

    return find


def evaluate_recall(find, labelled):
    per_entity: dict[str, list[int]] = {}
    per_locale: dict[str, list[int]] = {}
    extra = 0
    for locale, lang, entity, text, start, end in labelled:
        spans = find(text, lang)
        hit = any(e == entity and s <= start and t >= end for e, s, t in spans)
        extra += sum(1 for e, s, t in spans if t <= start or s >= end)
        for table, key in ((per_entity, entity), (per_locale, f"{locale}/{entity}")):
            row = table.setdefault(key, [0, 0])
            row[0] += hit
            row[1] += 1
    return per_entity, per_locale, extra


def false_positives(find, docs):
    n_bytes = sum(len(t.encode()) for _, t in docs)
    found: dict[str, int] = {}
    for lang, text in docs:
        for entity, _, _ in find(text, lang):
            found[entity] = found.get(entity, 0) + 1
    return sum(found.values()) / (n_bytes / 1e6), found, n_bytes


def speed(find, docs):
    """docs/s and MB/s in CPU time of this process (other jobs on the machine do not count)."""
    n_bytes = sum(len(t.encode()) for _, t in docs)
    start = time.process_time()
    for lang, text in docs:
        find(text, lang)
    elapsed = time.process_time() - start
    return len(docs) / elapsed, n_bytes / 1e6 / elapsed, elapsed



def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000, help="web-like documents for the speed test")
    parser.add_argument("--per-entity", type=int, default=30, help="planted values per entity and locale")
    parser.add_argument("--decoy-bytes", type=int, default=400_000, help="bytes of prose and of code decoys")
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/pii.md"))
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    ours = build_ours(precheck=True)
    build_s = time.perf_counter() - t0
    ours_no_precheck = build_ours(precheck=False)
    peer = build_peer()

    labelled = labelled_set(args.per_entity)
    prose_docs, code_docs = decoy_sets(args.decoy_bytes)
    web_planted = web_corpus(args.docs)
    web = [(lang, text) for lang, text, _ in web_planted]

    rows = {}
    for name, find in (("ours", ours), ("peer", peer)):
        recall, recall_locale, extra = evaluate_recall(find, labelled)
        fp_prose, found_prose, prose_bytes = false_positives(find, prose_docs)
        fp_code, found_code, code_bytes = false_positives(find, code_docs)
        rows[name] = dict(recall=recall, recall_locale=recall_locale, extra=extra, fp_prose=fp_prose,
                          found_prose=found_prose, fp_code=fp_code, found_code=found_code,
                          web=web_errors(find, web_planted))
    speeds = {
        "ours, pre-check on": speed(ours, web),
        "ours, pre-check off": speed(ours_no_precheck, web),
        "peer (naive AnalyzerEngine)": speed(peer, web),
    }
    web_bytes = sum(len(t.encode()) for _, t in web)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    targets = {"EMAIL_ADDRESS": 0.98, "IP_ADDRESS": 0.98, "CREDIT_CARD": 0.98, "IBAN_CODE": 0.98,
               "PHONE_NUMBER": 0.85, "CRYPTO": 0.98}
    lines = [
        "# PII scrubbing benchmark (`benchmarks/bench_pii.py`)",
        "",
        f"- machine: {os.cpu_count()} CPUs (`nproc`), {cpu_model()}, Python {platform.python_version()}, single process",
        f"- labelled set: {len(labelled)} documents, {args.per_entity} planted values per entity in each of "
        f"{len(LOCALES)} locales ({', '.join(LOCALES)})",
        f"- decoys: {len(prose_docs)} prose documents in {len(PROSE)} languages ({prose_bytes / 1e6:.2f} MB) and "
        f"{len(code_docs)} code/log documents ({code_bytes / 1e6:.2f} MB), no PII",
        f"- speed corpus: {len(web)} web-like documents ({web_bytes / len(web) / 1e3:.1f} kB each, {web_bytes / 1e6:.2f} MB; "
        f"one sentence in four with numbers; ~10% with one PII value); speed is measured in CPU time of one process",
        f"- engine build time (ours): {build_s:.2f} s; peak RSS of the whole benchmark: {peak_rss_mb:.0f} MB",
        "",
        "## Recall per entity (planted value covered by a span of the right type)",
        "",
        "| entity | target | ours | peer |",
        "|---|---|---|---|",
    ]
    for entity in ENTITIES:
        o = rows["ours"]["recall"].get(entity, [0, 1])
        p = rows["peer"]["recall"].get(entity, [0, 1])
        lines.append(f"| {entity} | ≥ {targets[entity]:.2f} | {o[0] / o[1]:.3f} ({o[0]}/{o[1]}) | {p[0] / p[1]:.3f} ({p[0]}/{p[1]}) |")
    lines += [
        "",
        f"Extra spans found outside the planted value in the labelled set (its carrier prose has dates, prices, "
        f"versions, private IPs): ours {rows['ours']['extra']}, peer {rows['peer']['extra']}.",
        "",
        "## Recall per locale (all entities)",
        "",
        "| locale | ours | peer |",
        "|---|---|---|",
    ]
    for locale in LOCALES:
        def share(name):
            table = rows[name]["recall_locale"]
            hits = sum(v[0] for k, v in table.items() if k.startswith(locale + "/"))
            total = sum(v[1] for k, v in table.items() if k.startswith(locale + "/"))
            return f"{hits / total:.3f}"
        lines.append(f"| {locale} | {share('ours')} | {share('peer')} |")
    missed_phone = {k.split("/")[0]: v for k, v in rows["peer"]["recall_locale"].items() if k.endswith("/PHONE_NUMBER")}
    lines += [
        "",
        "Phone recall of the peer per locale (it tries US, GB, DE, FR, IL, IN, CA, BR for every document): "
        + ", ".join(f"{k} {v[0] / v[1]:.2f}" for k, v in missed_phone.items()),
        "",
        "## False positives per MB (target ≤ 1)",
        "",
        "| text | ours | peer |",
        "|---|---|---|",
        f"| prose with dates, times, prices, versions, private IPs | {rows['ours']['fp_prose']:.1f} {rows['ours']['found_prose'] or ''} | "
        f"{rows['peer']['fp_prose']:.1f} {rows['peer']['found_prose'] or ''} |",
        f"| source code, logs, requirement files | {rows['ours']['fp_code']:.1f} {rows['ours']['found_code'] or ''} | "
        f"{rows['peer']['fp_code']:.1f} {rows['peer']['found_code'] or ''} |",
        "",
        "## Speed on web-like text (one core; Beam runs one scrubber per worker)",
        "",
        "| engine | docs/s | MB/s | CPU seconds |",
        "|---|---|---|---|",
    ]
    web_mb = sum(len(t.encode()) for _, t in web) / 1e6
    lines[-5:-5] = [
        f"| web-like text (the speed corpus, outside its planted values) | "
        f"{rows['ours']['web'][2] / web_mb:.1f} | {rows['peer']['web'][2] / web_mb:.1f} |",
        "",
        f"Planted values missed in the web-like corpus: ours {rows['ours']['web'][0]}/{rows['ours']['web'][1]}, "
        f"peer {rows['peer']['web'][0]}/{rows['peer']['web'][1]}.",
    ]
    for name, (docs_s, mb_s, secs) in speeds.items():
        lines.append(f"| {name} | {docs_s:,.0f} | {mb_s:.2f} | {secs:.1f} |")
    lines.append("")
    text = "\n".join(lines)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
