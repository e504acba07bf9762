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
from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail
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


def _suffix_terms() -> dict[str, tuple[tuple[int, int, list[str]], ...]]:
    """cleanco's legal terms by their last word, each with its place in cleanco's order."""
    by_last: dict[str, list[tuple[int, int, list[str]]]] = {}
    for order, (size, parts) in enumerate(prepare_default_terms()):
        by_last.setdefault(parts[-1], []).append((order, size, parts))
    return {k: tuple(v) for k, v in by_last.items()}


_SUFFIXES = _suffix_terms()


def basename(name: str) -> str:
    """cleanco's ``basename`` (legal suffixes removed), exactly, but a tail is compared only
    with the terms ending in its last word instead of with all 321 in turn: the first
    matching term at or after the last one removed is the one cleanco's loop removes."""
    name = strip_tail(name)
    parts = name.split()
    nparts = [strip_punct(p) for p in normalized(name).split()]
    after = 0
    while nparts:
        for order, size, term in _SUFFIXES.get(nparts[-1], ()):
            if order >= after and nparts[-size:] == term:
                del nparts[-size:]
                del parts[-size:]
                after = order + 1
                break
        else:
            break
    return strip_tail(" ".join(parts))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(name: str, generic: bool = False) -> str:
    """The comparable core of a company name: 'Tark Tarkvara OÜ' -> 'tark tarkvara';
    with ``generic``, words such as Holding or Group are kept ('ABN Amro Holding N.V.' ->
    'abn amro holding'): what tells an exact name from a near one."""
    return normalised(name)[1 if generic else 0]


@lru_cache(maxsize=65536)
def normalised(name: str) -> tuple[str, str]:
    """Both forms of ``normalise`` from one pass: (core, with generic words)."""
    text = unicodedata.normalize("NFKC", name).strip()
    text = basename(basename(text))  # twice: "Wonka GmbH & Co. KG"
    text = _fold(text).casefold()
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    tokens = [ABBREVIATIONS.get(t, t) for t in _PUNCT.split(text) if t]
    tokens = [t for t in tokens if t not in LEGAL] or tokens
    core = [t for t in tokens if t not in GENERIC] or tokens
    return " ".join(core), " ".join(tokens)


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


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
            key, generic = normalised(name)
            if not key:
                continue
            index = len(self.ids)
            self.ids.append(account_id)
            self.names.append(name)
            self.keys.append(key)
            self.full.append(" ".join(sorted(generic.split())))
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
        self._exact: dict[str, set[int]] = {}  # a typed name's sorted words -> exact names
        for i, f in enumerate(self.full):
            self._exact.setdefault(f, set()).add(i)
        # Words sorted (token_sort_ratio's first step, done once), fancy-indexed per lookup.
        self._keys = np.array([_sorted_words(k) for k in self.keys], dtype=object)
        self._cores = np.array([_sorted_words(c) for c in self.cores], dtype=object)
        word_postings: dict[str, list[int]] = {}
        for i, ws in enumerate(self.words):
            for w in ws:
                word_postings.setdefault(w, []).append(i)
        self._with_word = {w: frozenset(p) for w, p in word_postings.items()}
        rank = {a: r for r, a in enumerate(sorted(set(self.ids)))}
        self._id_rank = np.array([rank[a] for a in self.ids], dtype=np.int64)
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
        # Counted over the postings touched (a few thousand), not over every name.
        names, counts = np.unique(np.concatenate(lists), return_counts=True)
        # Names sharing at least half as many trigrams as the best one; a threshold and a
        # small sort, because argpartition over mostly-zero counts is slow.
        keep = counts >= max(1, int(counts.max()) // 2)
        idx, counts = names[keep], counts[keep]
        if len(idx) > self.max_candidates:
            idx = idx[np.argsort(counts, kind="stable")[-self.max_candidates:]]
        return idx.tolist()

    def _scores(self, key: str, core: str, full: str, idx: list[int]) -> list[float]:
        """Each candidate's score: mostly the distinctive words, partly the whole name; 100
        only for an exact name (generic words and all). The fuzzy ratios of all candidates
        are computed in one call each, and combined as arrays."""
        # token_sort_ratio is ratio of the words sorted: the stored sides are sorted once.
        whole = process.cdist([_sorted_words(key)], self._keys[idx], scorer=fuzz.ratio,
                              dtype=np.float64)[0]
        distinctive = process.cdist([_sorted_words(core)], self._cores[idx], scorer=fuzz.ratio,
                                    dtype=np.float64)[0]
        mixed = np.minimum(99.9, 0.75 * distinctive + 0.25 * whole).tolist()
        exact = self._exact.get(full, ())
        return [100.0 if i in exact else round(m, 1) for i, m in zip(idx, mixed, strict=True)]

    def lookup(self, name: str) -> NameMatch:
        match = self._memo.get(name)
        if match is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            match = self._memo[name] = self._lookup(name)
        return match

    def _lookup(self, name: str) -> NameMatch:
        key, generic = normalised(name)
        typed = generic.split()
        full = " ".join(sorted(typed))
        idx = self._candidates(key)
        if not idx:
            return NameMatch("", name, key, (), "no_candidates")
        scores = self._scores(key, self._core(key), full, idx)
        # Best first, ties by account id; several rows of one account (aliases) count as
        # one candidate.
        order = np.lexsort((self._id_rank[idx], -np.asarray(scores))).tolist()
        best: dict[str, NameCandidate] = {}
        for j in order:
            i = idx[j]
            if self.ids[i] not in best:
                best[self.ids[i]] = NameCandidate(self.ids[i], self.names[i], scores[j])
                if len(best) == 3:
                    break
        # Accounts among the candidates whose name holds every word typed.
        holding = set(idx)
        for w in sorted(set(typed), key=lambda w: len(self._with_word.get(w, ()))):
            holding &= self._with_word.get(w, frozenset())
            if not holding:
                break
        covering = {self.ids[i] for i in holding}
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
