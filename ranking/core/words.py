"""Words and phrases as a reader would quote them: what the term index counts, and which of its
terms an explanation may show.

scikit-learn's default analyzer drops stop words first and pairs what is left, so a bigram can
span a removed word or a sentence end ("learning. Reinforcement ..." gives "learning
reinforcement"): terms nobody wrote, which explanations then quoted. `phrase_terms` pairs only
words that stand next to each other in the text, within one clause.
"""

from __future__ import annotations

import itertools
import re

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, strip_accents_unicode

# Clause boundaries: a phrase never spans one.
# (Curly quotes and dashes written as escapes: \u2018-\u201d, en and em dash.)
_CLAUSE = re.compile(r"[.,;:!?()\[\]{}\"\u201c\u201d\u2018\u2019|/]+|\s[-\u2013\u2014]+\s|\s'|'\s")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")

# Words every abstract uses: they say nothing about what a paper is about, so an explanation
# never quotes a term made only of them (and of stop words). Chosen by reading the words the
# old explanations quoted most on the demo catalogue and the arXiv abstracts.
GENERIC = frozenset(
    """
    new novel propose proposed proposes proposing present presents presented introduce
    introduces introduced demonstrate demonstrates demonstrated show shows shown showing
    method methods approach approaches existing performance performances result results
    paper papers work works based using use used uses model models modeling task tasks data
    framework frameworks study studies experiment experiments experimental evaluate evaluated
    evaluation evaluations problem problems state art significantly significant improve
    improves improved improving improvement improvements achieve achieves achieved achieving
    effective effectively efficient efficiently large small various different recent recently
    including provide provides address addresses addressing challenge challenges challenging
    key high low better best strong simple able make makes making allow allows enable enables
    enabling set number range time way ways extensive comprehensive outperform outperforms
    outperforming baseline baselines learning learn learns learned training trained
    analysis analyze system systems process technique techniques general overall specific
    important lead leads consider considering given potential particular particularly
    furthermore moreover however typically usually often additionally respectively
    substantial substantially code available publicly release released open source
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def tokens(text: str) -> list[list[str]]:
    """The text's words (lower-case, accents stripped, no stop words), per clause; a stop word
    ends a run, so the words around it are never paired."""
    clauses = []
    for clause in _CLAUSE.split(strip_accents_unicode(text.lower())):
        run: list[str] = []
        for word in _TOKEN.findall(clause):
            if word in ENGLISH_STOP_WORDS:
                if run:
                    clauses.append(run)
                run = []
            else:
                run.append(word)
        if run:
            clauses.append(run)
    return clauses


def phrase_terms(text: str) -> list[str]:
    """Unigrams and the bigrams of adjacent words: the term index's analyzer."""
    out: list[str] = []
    for run in tokens(text):
        out.extend(run)
        out.extend(f"{a} {b}" for a, b in itertools.pairwise(run))
    return out


def quotable(term: str) -> bool:
    """Whether an explanation may quote this term: not only generic words, not a number."""
    words = term.split()
    return any(w not in GENERIC and not w.isdigit() for w in words)
