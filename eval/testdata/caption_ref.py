# Reference caption metrics for eval's tests (run through internal/pyref).
#
# stdin: {"metric": "cider" | "bleu" | "nltk", "pycocoevalcap": DIR or "",
#         "corpora": [{"refs": {id: [tokenised ref, ...]}, "cands": {id: tokenised cand}}]}
# stdout, last line: a JSON list with one result per corpus: CIDEr-D (a float) or
# BLEU-1..4 (a list of 4 floats).
#
# cider: testdata/cider_scorer.py (pycocoevalcap's, verbatim), driven as
#   pycocoevalcap's cider/cider.py drives it.
# bleu:  pycocoevalcap's own bleu/bleu_scorer.py from the checkout DIR (or the installed
#   pycocoevalcap package), driven as bleu/bleu.py drives it (option "closest"). It is
#   not copied here: its header forbids redistribution.
# nltk:  nltk.translate.bleu_score.corpus_bleu with its defaults (no smoothing, no
#   auto_reweigh) and the uniform weights of BLEU-1..4.
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def cider(corpus):
    from cider_scorer import CiderScorer
    scorer = CiderScorer(n=4, sigma=6.0)
    for id in corpus["cands"]:
        scorer += (corpus["cands"][id], corpus["refs"][id])
    score, _ = scorer.compute_score()
    return float(score)


def bleu_scorer_class(checkout):
    if checkout:
        sys.path.insert(0, os.path.join(checkout, "bleu"))
        from bleu_scorer import BleuScorer
    else:
        from pycocoevalcap.bleu.bleu_scorer import BleuScorer
    return BleuScorer


def bleu(corpus, BleuScorer):
    scorer = BleuScorer(n=4)
    for id in corpus["cands"]:
        scorer += (corpus["cands"][id], corpus["refs"][id])
    score, _ = scorer.compute_score(option="closest", verbose=0)
    return [float(s) for s in score]


def nltk_bleu(corpus):
    from nltk.translate.bleu_score import corpus_bleu
    ids = list(corpus["cands"])
    refs = [[r.split() for r in corpus["refs"][id]] for id in ids]
    hyps = [corpus["cands"][id].split() for id in ids]
    weights = [(1.0,), (0.5, 0.5), (1 / 3, 1 / 3, 1 / 3), (0.25, 0.25, 0.25, 0.25)]
    return [float(s) for s in corpus_bleu(refs, hyps, weights=weights)]


def main():
    sys.path.insert(0, HERE)
    req = json.load(sys.stdin)
    metric = req["metric"]
    if metric == "cider":
        out = [cider(c) for c in req["corpora"]]
    elif metric == "bleu":
        cls = bleu_scorer_class(req.get("pycocoevalcap", ""))
        out = [bleu(c, cls) for c in req["corpora"]]
    elif metric == "nltk":
        out = [nltk_bleu(c) for c in req["corpora"]]
    else:
        raise SystemExit("unknown metric " + metric)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
