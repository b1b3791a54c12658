"""Reference CLIP token ids for datasets/text's tests, from OpenAI's own tokenizer.

Runs OpenAI's simple_tokenizer.py (testdata/openai, unchanged) with the ftfy stand-in in
this directory, and clip.tokenize()'s logic (context 77, truncate=True: the last id is
always <|endoftext|>) written out without torch.

    /usr/bin/python3 clip_reference.py > ../clip_tokens_golden.json   # the golden file
    /usr/bin/python3 clip_reference.py --stdin < texts.json           # ids of any texts

The golden file lists, per case: the text, "tokens" (<|startoftext|>, the text's BPE ids,
<|endoftext|>; no truncation), "context" (the 77 ids clip.tokenize returns), "decoded"
(SimpleTokenizer.decode of the text's ids) and "decoded_half" (decode of the first half of
them, which can end inside a character). With --stdin it reads a JSON list of strings and
writes a JSON list of "tokens" lists.
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)  # the ftfy stand-in
sys.path.insert(0, os.path.join(HERE, "..", "openai"))

from simple_tokenizer import SimpleTokenizer  # noqa: E402

CONTEXT = 77
VOCAB = os.path.join(HERE, "..", "..", "openai", "bpe_simple_vocab_16e6.txt.gz")


def tokens(tok, text):
    return [tok.encoder["<|startoftext|>"]] + tok.encode(text) + [tok.encoder["<|endoftext|>"]]


def context(tok, ids):
    # clip.tokenize(texts, context_length=77, truncate=True), one row.
    if len(ids) > CONTEXT:
        ids = ids[:CONTEXT]
        ids[-1] = tok.encoder["<|endoftext|>"]
    return ids + [0] * (CONTEXT - len(ids))


def long_text():
    # 500 words with punctuation and numbers, the same on every run.
    words = ("the quick brown fox jumps over the lazy dog while a small cat watches from "
             "the warm windowsill , and two birds sing in the old oak tree near the river .").split()
    out = []
    i = 0
    while len(out) < 500:
        w = words[i % len(words)]
        out.append(str(i) if i % 37 == 36 else w)
        i += 1
    return " ".join(out)


def cases():
    return [
        ("empty", ""),
        ("only spaces", "  \t\n "),
        ("caption", "a photo of a cat."),
        ("caption upper", "A Photo Of A CAT."),
        ("contractions", "I'm sure they'll say it's fine, don't worry. We'RE here; you've been; he'd; she'LL"),
        ("apostrophes", "rock'n'roll ''quoted'' 's 'S ' s dogs'"),
        ("punctuation runs", "!!! ... #@$% wow!!! really?!? a--b (paren) [bracket] {brace} <angle>"),
        ("accents", "café naïve Ångström ÉCOLE façade"),
        ("decomposed accent", "cafe\u0301 and e\u0301te\u0301"),
        ("emoji", "👍🏽 🐈\u200d⬛ a photo of 🐕 and 🐈!"),
        ("flags", "🇫🇷🇯🇵 🏴\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f"),
        ("cjk", "一只猫的照片 猫の写真です 고양이 사진"),
        ("arabic", "صورة قطة على الطاولة"),
        ("greek final sigma", "ΟΔΟΣ ΑΣ Σ ΑΣΑ ὈΔΥΣΣΕΎΣ"),
        ("turkish dotted I", "İSTANBUL İi"),
        ("numbers", "3.14159 1,000,000 2026 12-sided covid19 3rd x² Ⅻ ٣٤"),
        ("html entities", "&amp; &lt;b&gt;bold&lt;/b&gt; Tom &amp;amp; Jerry"),
        ("html odd entities", "&EACUTE;COLE &notit; &amp &copy2026 &#39;q&#39; &#x2019; &#128077; &#0; &#1;x &#65abc; &bogus;"),
        ("html with tag", "<b>&amp;</b> &rsquo;tis"),
        ("curly quotes", "\u201cHello,\u201d she said. \u2018Don\u2019t!\u2019 \u02bcx"),
        ("ligatures", "\ufb01sh \ufb02oat \ufb00 e\ufb03cient \ufb05 \u0132sselmeer \u01c6"),
        ("full width", "ＡＢＣ １２３ ｶﾀｶﾅ ＬＯＵＤ\u3000ＮＯＩＳＥＳ！"),
        ("white space", "a\tb\nc  d\r\ne\u00a0f\u3000g\u2028h\u2029i   trailing   "),
        ("control chars", "a\x00b\x07c\x7fd\u200be\u200df\ufeffg\ufffch"),
        ("terminal escapes", "\x1b[31mred\x1b[0m text \x1b[1;4mbold\x1b[m"),
        ("c1 controls", "\x93quoted\x94 \x85 \x81x"),
        ("upper case", "HELLO WORLD, THIS IS CLIP"),
        ("mixed scripts", "Привет world 世界 مرحبا 123! Ελληνικά"),
        ("special tokens in text", "<|startoftext|>hello<|endoftext|> <|ENDOFTEXT|>"),
        ("long word", "a" * 300),
        ("long s", "'\u017f \u017ftart '\u017f"),
        ("ypogegrammeni", "\u03b1\u0345 x \u0345 y\u0345z"),
        ("content 74", " ".join(["cat"] * 74)),
        ("content 75", " ".join(["cat"] * 75)),
        ("content 76", " ".join(["cat"] * 76)),
        ("500 words", long_text()),
    ]


def main():
    tok = SimpleTokenizer(bpe_path=VOCAB)
    if sys.argv[1:] == ["--stdin"]:
        texts = json.load(sys.stdin)
        json.dump([tokens(tok, t) for t in texts], sys.stdout)
        return
    out = []
    for name, text in cases():
        ids = tokens(tok, text)
        body = ids[1:-1]
        out.append({
            "name": name,
            "text": text,
            "tokens": ids,
            "context": context(tok, ids),
            "decoded": tok.decode(body),
            "decoded_half": tok.decode(body[: len(body) // 2]),
        })
    by_name = {c["name"]: c for c in out}
    for n in (74, 75, 76):  # the cases meant to sit at the context's edge
        assert len(by_name["content %d" % n]["tokens"]) == n + 2, n
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
