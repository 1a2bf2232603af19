import keras
import numpy as np

BOUNDARY = "<b>"
UNKNOWN = "<unk>"


@keras.saving.register_keras_serializable(package="keras_ar")
class Vocabulary:
    """Characters <-> ids. Id 0 is the boundary token (start and end of an item).

    Out-of-vocabulary policy: `oov="error"` (default) raises a ValueError naming the
    unknown characters; `oov="unknown"` adds an `<unk>` token (id 1) and maps unknown
    characters to it.

    Args:
        tokens: the characters (id order after the special tokens).
        oov: "error" or "unknown".

    Example:
    >>> vocab = Vocabulary.from_text("hello")
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    """

    def __init__(self, tokens, oov="error"):
        if oov not in ("error", "unknown"):
            raise ValueError(f"oov must be 'error' or 'unknown', got {oov!r}.")
        self.oov = oov
        specials = [BOUNDARY] + ([UNKNOWN] if oov == "unknown" else [])
        if isinstance(tokens, str) or not hasattr(tokens, "__iter__"):
            raise TypeError(
                "`tokens` must be a list of single characters; for a text use "
                "`Vocabulary.from_text(text)`."
            )
        tokens = [t for t in tokens if t not in specials]
        bad = [t for t in tokens if not (isinstance(t, str) and len(t) == 1)]
        if bad:
            raise ValueError(
                f"Vocabulary tokens must be single characters; got {bad[:5]!r}."
            )
        if not tokens:
            raise ValueError("A vocabulary needs at least one character.")
        if len(set(tokens)) != len(tokens):
            duplicates = sorted({t for t in tokens if tokens.count(t) > 1})
            raise ValueError(f"Vocabulary tokens must be unique; repeated: {duplicates!r}.")
        self.tokens = specials + list(tokens)
        self._ids = {token: i for i, token in enumerate(self.tokens)}
        self.boundary_id = 0
        self.unknown_id = 1 if oov == "unknown" else None

    @classmethod
    def from_text(cls, text, oov="error"):
        """The sorted set of characters of `text` (a string or a list of strings)."""
        if not isinstance(text, str):
            items = list(text)
            bad = [t for t in items if not isinstance(t, str)]
            if bad:
                raise TypeError(f"from_text needs strings, got {type(bad[0]).__name__} items.")
            text = "".join(items)
        if not text:
            raise ValueError("from_text got an empty text: there are no characters to learn.")
        return cls(sorted(set(text)), oov=oov)

    def __len__(self):
        return len(self.tokens)

    @property
    def size(self):
        return len(self.tokens)

    def encode(self, text, add_boundary=False):
        """A string -> int32 ids; `add_boundary` appends the end token.

        Characters outside the vocabulary raise a ValueError naming them (oov="error")
        or map to `<unk>` (oov="unknown").
        """
        if not isinstance(text, str):
            raise TypeError(f"encode needs a string, got {type(text).__name__}.")
        ids = []
        unknown = []
        for position, char in enumerate(text):
            index = self._ids.get(char)
            if index is None or index == self.boundary_id:
                if self.unknown_id is None:
                    unknown.append((position, char))
                    continue
                index = self.unknown_id
            ids.append(index)
        if unknown:
            chars = sorted({c for _, c in unknown})
            raise ValueError(
                f"{len(unknown)} character(s) not in the vocabulary: {chars!r} (first at "
                f"position {unknown[0][0]}). Remove them, or build the vocabulary with "
                "oov='unknown' to map them to <unk>."
            )
        if add_boundary:
            ids.append(self.boundary_id)
        return np.asarray(ids, dtype="int32")

    def encode_batch(self, texts, add_boundary=True, pad_id=-1):
        """A list of strings -> `(batch, max_len)` ids right-padded with `pad_id` (< 0)."""
        if isinstance(texts, str):
            raise TypeError(
                "encode_batch needs a list of strings, got one string (it would be split "
                "into characters); use encode(text) or encode_batch([text])."
            )
        if not isinstance(pad_id, (int, np.integer)) or pad_id >= 0:
            raise ValueError(f"pad_id must be a negative integer, got {pad_id!r}.")
        texts = list(texts)
        if not texts:
            raise ValueError("encode_batch got no texts (empty list).")
        encoded = [self.encode(t, add_boundary=add_boundary) for t in texts]
        length = max(len(e) for e in encoded)
        out = np.full((len(encoded), length), pad_id, dtype="int32")
        for row, ids in enumerate(encoded):
            out[row, : len(ids)] = ids
        return out

    def decode(self, ids, stop_at_boundary=True):
        """ids -> string; stops at the boundary token (or skips it) and padding."""
        chars = []
        for index in np.asarray(ids).reshape(-1):
            index = int(index)
            if index < 0:
                break
            if index >= len(self.tokens):
                raise ValueError(
                    f"Token id {index} is not in this vocabulary (ids 0..{len(self.tokens) - 1})."
                )
            if index == self.boundary_id:
                if stop_at_boundary:
                    break
                continue
            chars.append(self.tokens[index])
        return "".join(chars)

    def get_config(self):
        specials = 2 if self.unknown_id is not None else 1
        return {"tokens": self.tokens[specials:], "oov": self.oov}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
