"""Seeded names for the generated catalogue: artists, albums and tracks in several scripts.

Names are built from syllables and words so that the space is far larger than any catalogue
we generate (uniqueness is then cheap to enforce by retrying).  Artist names avoid everything
Koito's artist parser treats as a separator (`,` `&` `and` `·` `feat.` and Maloja's ` • `),
because a generated name that Koito would split would make the expected counts wrong.
"""

from __future__ import annotations

import random
import re


def _words(text: str) -> list[str]:
    return text.split()


LOCALES = ("en", "fr", "es", "de", "ja", "zh", "ko", "ru")
# How often each locale is chosen for an artist: mostly Latin script, a real share of others.
LOCALE_WEIGHTS = (40, 12, 10, 8, 10, 6, 6, 8)

LATIN_SYLLABLES = _words(
    "ka lo mi ré sö na vi el ar to bé ñu za qui ri da ys öl mar ten jo lu fa ço ge hi pé ru "
    "sa té vo wy xe zé bo ci dü fé gi ho ul em ix où ãe"
)
CYRILLIC_SYLLABLES = _words("ка ли мо ра зе ни ва до ры жу ше ля та ко бе ми ро сы пу ге ёл юн щи")
CJK_CHARS = list(
    "米津玄師星野源月光夜空花火風雪山川海森桜雨雲春秋夏冬青赤白黒金銀鳥猫犬龍虎夢恋心愛声歌"
)
HANZI_CHARS = list("周杰伦王菲林俊陈奕迅邓紫棋张学友刘德华孙燕姿蔡依梁静茹李宗盛朴树许巍汪峰")
ENGLISH_ADJ = _words(
    "Velvet Crimson Silent Electric Golden Hollow Midnight Neon Paper Wild Broken Lunar Quiet "
    "Burning Frozen Hidden Lonely Radio Static Violet Amber Iron Glass Honey Ghost Satellite"
)
ENGLISH_NOUNS = _words(
    "Owls Rivers Ghosts Machines Tigers Lanterns Wolves Mirrors Echoes Horses Sparrows Engines "
    "Tides Comets Kites Foxes Pilots Saints Shadows Orchids Rockets Ravens Waves Cities"
)

# Title words per locale; any combination is a plausible song or album title.
TITLE_WORDS = {
    "en": _words(
        "love night heart fire rain summer dream light ocean city blue gold road home time "
        "forever lost young wild river shadow moon star dance stay run falling electric "
        "midnight paper glass silver sky window letter ghost morning tonight stranger sugar "
        "honey thunder echo signal island desert winter heaven angel bridge highway"
    ),
    "fr": _words(
        "amour nuit cœur été rêve lumière mer ville bleu or route maison temps toujours perdu "
        "jeune rivière ombre lune étoile danse soleil fenêtre lettre fantôme matin ciel éternité"
    ),
    "es": _words(
        "amor noche corazón fuego lluvia verano sueño luz océano ciudad azul camino casa tiempo "
        "siempre perdido joven río sombra luna estrella baile canción mañana cielo corazón niña"
    ),
    "de": _words(
        "Liebe Nacht Herz Feuer Regen Sommer Traum Licht Meer Stadt Blau Straße Zeit immer "
        "verloren Fluss Schatten Mond Stern Tanz Größe Brücke Himmel Morgen Fenster Übermut"
    ),
    "ja": _words(
        "夜 恋 心 花火 雨 夏 夢 光 海 街 青 道 時間 永遠 月 星 桜 風 空 約束 涙 声 翼 未来"
    ),
    "zh": _words(
        "爱 夜 心 火 雨 夏天 梦 光 海 城市 蓝 路 家 时间 永远 月亮 星星 风 天空 晴天 告白"
    ),
    "ko": _words("사랑 밤 마음 불꽃 비 여름 꿈 빛 바다 도시 파란 길 집 시간 영원 달 별 바람 하늘"),
    "ru": _words(
        "любовь ночь сердце огонь дождь лето сон свет море город синий дорога дом время "
        "навсегда звезда луна ветер небо песня группа крови кукушка"
    ),
}
EMOJI = _words("✨ 🌙 🔥 💔 🌊 🎧 🌸 ⭐ 🖤 🚀")
TITLE_SUFFIXES = (
    " (Live)",
    " - Remastered 2011",
    " (Acoustic)",
    " (Radio Edit)",
    " - Demo",
    " (Extended Mix)",
)
ALBUM_SUFFIXES = (" (Deluxe Edition)", " EP", " Vol. 2", " (Remastered)", " - Live at Budokan")

# Anything Koito's artist parser (or Maloja's reader) would split an artist name on.
_SPLITS_ARTIST = re.compile(r"[,&·•()\[\]]|and|feat|\bft\b", re.IGNORECASE)


def splits_artist(name: str) -> bool:
    return bool(_SPLITS_ARTIST.search(name))


def claim(taken: set[str], name: str) -> bool:
    """Reserve a name unless one equal to it ignoring case (Go's, Python's or SQL's) is taken."""
    keys = {name.casefold(), name.lower()}
    if keys & taken:
        return False
    taken |= keys
    return True


def _word(rng: random.Random, syllables: list[str] | tuple[str, ...], low: int, high: int) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.randint(low, high))).capitalize()


def artist_name(rng: random.Random, locale: str) -> str:
    if locale == "ja":
        name = "".join(rng.choice(CJK_CHARS) for _ in range(rng.randint(2, 4)))
    elif locale == "zh":
        name = "".join(rng.choice(HANZI_CHARS) for _ in range(rng.randint(2, 3)))
    elif locale == "ko":
        name = "".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(rng.randint(2, 3)))
    elif locale == "ru":
        name = _word(rng, CYRILLIC_SYLLABLES, 2, 3)
        if rng.random() < 0.5:
            name += " " + _word(rng, CYRILLIC_SYLLABLES, 2, 3)
    elif locale == "en" and rng.random() < 0.3:
        name = f"The {rng.choice(ENGLISH_ADJ)} {rng.choice(ENGLISH_NOUNS)}"
        if rng.random() < 0.5:
            name += " " + _word(rng, LATIN_SYLLABLES, 1, 2)
    else:
        name = _word(rng, LATIN_SYLLABLES, 1, 3) + " " + _word(rng, LATIN_SYLLABLES, 2, 3)
        if rng.random() < 0.05:
            name = rng.choice(("DJ ", "MC ", "Lil ")) + name
    if rng.random() < 0.01:
        name += " " + rng.choice(EMOJI)
    return name


def title(rng: random.Random, locale: str, album: bool = False) -> str:
    words = TITLE_WORDS[locale]
    joiner = "" if locale in ("ja", "zh") else " "
    text = joiner.join(rng.choice(words) for _ in range(rng.randint(1, 4)))
    if joiner:
        text = text[0].upper() + text[1:]
    roll = rng.random()
    if roll < 0.06:
        text += rng.choice(ALBUM_SUFFIXES if album else TITLE_SUFFIXES)
    elif roll < 0.07:
        text += " " + rng.choice(EMOJI)
    return text
