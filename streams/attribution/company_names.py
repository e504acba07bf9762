"""Typed company names ("ACME Corp.", "Tark Tarkvara OU") -> account, or no match.

Names are normalised (legal suffixes stripped by cleanco, accents folded, abbreviations
expanded, generic words dropped), candidates come from a character-trigram index so a
lookup never scans every account, and rapidfuzz scores the few candidates. A match needs
a score over the cutoff *and* a clear lead over the runner-up; otherwise the answer is no
match, with the candidates kept as evidence. Guessing between two close names is how an
event lands on the wrong company.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from cleanco import basename
from rapidfuzz import fuzz, process

ABBREVIATIONS = {
    "intl": "international", "int'l": "international", "corp": "corporation",
    "mfg": "manufacturing", "tech": "technology", "techs": "technologies",
    "sys": "systems", "svcs": "services", "svc": "services", "bros": "brothers",
    "natl": "national", "assoc": "associates", "eng": "engineering", "labs": "laboratories",
    "lab": "laboratory", "mgmt": "management", "dev": "development", "&": "and",
    "ind": "industries", "inds": "industries", "ent": "enterprises",
}
# Words that name the shape of a company, not which one: "Globex Intl" is Globex.
GENERIC = frozenset({"the", "group", "grp", "holding", "holdings", "company", "co", "and",
                     "international", "worldwide", "global"})
# Legal forms cleanco leaves behind (long forms, leading forms such as Estonian
# "AS Tallinna Vesi", dotted or spaced variants): dropped wherever they stand.
LEGAL = frozenset({
    "inc", "incorporated", "corporation", "ltd", "limited", "llc", "plc", "pty", "proprietary",
    "gmbh", "ag", "aktiengesellschaft", "kg", "ab", "aktiebolag", "oy", "oyj", "as", "asa",
    "ou", "sa", "sas", "sarl", "bv", "nv", "kk", "spa", "srl", "sl", "aps", "a/s",
})
MEMO_SIZE = 200_000
_PUNCT = re.compile(r"[^\w&'/]+")
_DOTTED = re.compile(r"\b(?:[a-z]\.){2,}")  # "s.a.s." -> "sas", "g.m.b.h." -> "gmbh"


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def normalise(name: str, generic: bool = False) -> str:
    """The comparable core of a company name: 'Tark Tarkvara OÜ' -> 'tark tarkvara';
    with ``generic``, words such as Holding or Group are kept ('ABN Amro Holding N.V.' ->
    'abn amro holding'): what tells an exact name from a near one."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = basename(basename(text))  # twice: "Wonka GmbH & Co. KG"
    text = _fold(text).casefold()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    tokens = [ABBREVIATIONS.get(t, t) for t in _PUNCT.split(text) if t]
    for drop in (LEGAL,) if generic else (LEGAL, GENERIC):
        kept = [t for t in tokens if t not in drop]
        tokens = kept or tokens
    return " ".join(tokens)


def trigrams(text: str) -> set[str]:
    padded = f"  {text} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


@dataclass(frozen=True, slots=True)
class NameCandidate:
    account_id: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class NameMatch:
    account_id: str  # "" when no match
    query: str
    normalised: str
    candidates: tuple[NameCandidate, ...]  # best first
    reason: str  # matched | below_cutoff | ambiguous | no_candidates


class CompanyNameIndex:
    def __init__(self, accounts: Iterable[tuple[str, str]], cutoff: float = 85.0,
                 margin: float = 8.0, max_candidates: int = 200) -> None:
        self.cutoff = cutoff
        self.margin = margin
        self.max_candidates = max_candidates
        self.ids: list[str] = []
        self.names: list[str] = []
        self.keys: list[str] = []
        postings: dict[str, list[int]] = {}
        token_df: dict[str, int] = {}
        self.full: list[str] = []  # sorted words, generic ones kept: exact means equal
        self.words: list[frozenset[str]] = []
        for account_id, name in accounts:
            key = normalise(name)
            if not key:
                continue
            index = len(self.ids)
            self.ids.append(account_id)
            self.names.append(name)
            self.keys.append(key)
            self.full.append(" ".join(sorted(normalise(name, generic=True).split())))
            self.words.append(frozenset(self.full[-1].split()))
            for gram in trigrams(key):
                postings.setdefault(gram, []).append(index)
            for token in set(key.split()):
                token_df[token] = token_df.get(token, 0) + 1
        # Trigrams in more than 2% of names ("ion", " co") say little and cost much.
        common = max(200, len(self.ids) // 50)
        self._postings = {g: np.array(p, dtype=np.int32) for g, p in postings.items()
                          if len(p) <= common}
        # Words many names share ("systems", "technologies") weigh less when scoring.
        self.common_tokens = frozenset(t for t, n in token_df.items()
                                       if n >= max(5, len(self.ids) // 200))
        self.cores = [self._core(k) for k in self.keys]
        # The index never changes (a reference load builds a new one) and the same typed
        # names recur (one company's many clicks), so each is looked up once.
        self._memo: dict[str, NameMatch] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def _core(self, key: str) -> str:
        core = [t for t in key.split() if t not in self.common_tokens]
        return " ".join(core) if core else key

    def _candidates(self, key: str) -> list[int]:
        lists = [self._postings[g] for g in trigrams(key) if g in self._postings]
        if not lists:
            return []
        counts = np.bincount(np.concatenate(lists), minlength=len(self.ids))
        # Names sharing at least half as many trigrams as the best one; a threshold and a
        # small sort, because argpartition over mostly-zero counts is slow.
        idx = np.flatnonzero(counts >= max(1, int(counts.max()) // 2))
        if len(idx) > self.max_candidates:
            idx = idx[np.argsort(counts[idx], kind="stable")[-self.max_candidates:]]
        return [int(i) for i in idx]

    def _scores(self, name: str, key: str, core: str,
                idx: list[int]) -> list[tuple[int, float]]:
        """Each candidate's score: mostly the distinctive words, partly the whole name; 100
        only for an exact name (generic words and all). The fuzzy ratios of all candidates
        are computed in one call each."""
        if not idx:
            return []
        whole = process.cdist([key], [self.keys[i] for i in idx], scorer=fuzz.token_sort_ratio,
                              dtype=np.float64)[0]
        distinctive = process.cdist([core], [self.cores[i] for i in idx],
                                    scorer=fuzz.token_sort_ratio, dtype=np.float64)[0]
        full = " ".join(sorted(normalise(name, generic=True).split()))
        return [(i, 100.0 if full == self.full[i] else round(min(99.9, 0.75 * float(d)
                                                                 + 0.25 * float(w)), 1))
                for i, d, w in zip(idx, distinctive, whole, strict=True)]

    def lookup(self, name: str) -> NameMatch:
        match = self._memo.get(name)
        if match is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            match = self._memo[name] = self._lookup(name)
        return match

    def _lookup(self, name: str) -> NameMatch:
        key = normalise(name)
        core = self._core(key)
        scored = self._scores(name, key, core, self._candidates(key))
        scored.sort(key=lambda c: (-c[1], self.ids[c[0]]))
        # Best first; several rows of one account (aliases) count as one candidate.
        best: dict[str, NameCandidate] = {}
        covering: set[str] = set()  # accounts with a name holding every word typed
        typed = set(normalise(name, generic=True).split())
        for i, score in scored:
            if typed <= self.words[i]:
                covering.add(self.ids[i])
            if self.ids[i] not in best and len(best) < 3:
                best[self.ids[i]] = NameCandidate(self.ids[i], self.names[i], score)
        ranked = tuple(best.values())
        if not ranked:
            return NameMatch("", name, key, (), "no_candidates")
        top = ranked[0].score
        if top < self.cutoff:
            return NameMatch("", name, key, ranked, "below_cutoff")
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        # An exact name beats any near one; a near one needs a clear lead, and stays
        # ambiguous when the words typed are all in two companies' names ("ABN Amro":
        # ABN Amro Bank and ABN Amro Holding), however generic the rest of one of them.
        if runner_up == 100.0 or (top < 100.0 and (top - runner_up < self.margin
                                                   or len(covering) > 1)):
            return NameMatch("", name, key, ranked, "ambiguous")
        return NameMatch(ranked[0].account_id, name, key, ranked, "matched")
