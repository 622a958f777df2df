/* The party matcher's steps that compiled Python can only take through Python objects, in C.
 *
 * Keys and Strings: reading the stored index's key tables and strings in place, the look-ups a query
 * makes most often.
 * postings.py keeps the index's keys and strings in flat arrays that every process maps from the
 * stored files. Reading them from compiled Python costs a Python object per item read (a number out
 * of a memoryview, a slice of it, the key encoded as bytes): about 2,500 instructions to find one
 * key, and a never-seen name asks for a dozen that are not there. Here the same look-up reads the
 * arrays' memory directly.
 *
 * Respelling: letters.respell, a table of spellings replaced in turn, where a rule whose old spelling has
 * a letter the text lacks is passed over without a search (the keys of a never-seen word run a hundred
 * rules or more, and few of them find anything). collapse_runs: letters.collapse_runs, each run of one
 * letter as one (compiled, a list of one-letter strings joined, for each key of a never-seen word).
 *
 * Strings.closest: the tie-break among candidate rows, rapidfuzz's fuzz.ratio of each row's text with
 * the query's, without making a Python string of each row's text (most never-seen names meet such ties).
 * Strings.token_set_ratios: the prefilter before the scorer, rapidfuzz's fuzz.token_set_ratio of the
 * query with each candidate row's words, the same way (a never-seen name has about five such rows).
 * Keys.cuts: both halves of every cut of a word the index does not hold, looked up in one call (a
 * never-seen word is tried as two listed words at each of its cuts).
 *
 * tally, passing_places, best_places and picked: the rows of a query's words merged, those sharing
 * enough of them, and the order of those by shared weight, which in numpy took a dozen calls each (each
 * a thousand instructions or more) on a few hundred rows. passing_places keeps the rows and ranks them in
 * one call: handed from one call to the next as arrays, they cost more than either call's work.
 *
 * Each does exactly what its Python counterpart does (postings.KeyTable._find and cuts,
 * postings.Strings.raw, token_set_ratios and closest, letters.respell and collapse_runs, index._tally,
 * the candidates passing in index.PartyIndex._candidates, index.PartyIndex._ranked_small and
 * _ranked_large), which is what runs when this module is not built (PURE_PYTHON_BUILD=1); tests hold
 * the two together. A malformed table raises ValueError rather than reading outside the arrays.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* CRC-32 as zlib computes it (reflected polynomial 0xEDB88320): the keys' hashes were made with
 * zlib.crc32. */
static uint32_t crc_table[256];

static void
crc_prepare(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}

static uint32_t
crc32_of(const unsigned char *data, Py_ssize_t size)
{
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < size; i++) {
        c = crc_table[(c ^ data[i]) & 0xFFu] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFu;
}

/* One array's buffer, held for the object's life, with its length in items. */
static int
hold(PyObject *array, Py_buffer *view, Py_ssize_t itemsize, const char *what)
{
    if (PyObject_GetBuffer(array, view, PyBUF_C_CONTIGUOUS) < 0) {
        return -1;
    }
    if (view->itemsize != itemsize || view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "stored tables: %s has items of %zd bytes, not %zd", what,
                     view->itemsize, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* The buffers of `count` arrays, in `views`; on a failure those already held are released. */
static int
hold_all(PyObject *const *arrays, Py_buffer *views, const Py_ssize_t *itemsizes, const char *const *what,
         int count)
{
    for (int i = 0; i < count; i++) {
        if (hold(arrays[i], &views[i], itemsizes[i], what[i]) < 0) {
            while (i-- > 0) {
                PyBuffer_Release(&views[i]);
            }
            return -1;
        }
    }
    return 0;
}

static void
release_all(Py_buffer *views, int count)
{
    for (int i = 0; i < count; i++) {
        PyBuffer_Release(&views[i]);
    }
}

/* Whether each of `count` output arrays is writable and has room for `needed` items (ValueError if not). */
static int
room_for(Py_buffer *views, const Py_ssize_t *itemsizes, const char *const *what, int count, Py_ssize_t needed,
         const char *step)
{
    for (int i = 0; i < count; i++) {
        if (views[i].len / itemsizes[i] < needed || views[i].readonly) {
            PyErr_Format(PyExc_ValueError, "%s: room for %zd %s", step, needed, what[i]);
            return -1;
        }
    }
    return 0;
}

static PyObject *
malformed(const char *what)
{
    PyErr_Format(PyExc_ValueError, "stored tables: malformed %s", what);
    return NULL;
}

/* ---- Strings: one UTF-8 blob and the offsets where each string starts (n + 1) ---- */

typedef struct {
    PyObject_HEAD
    Py_buffer blob;     /* uint8 */
    Py_buffer offsets;  /* int64 */
    Py_ssize_t count;
} StringsObject;

static int
strings_hold(Py_buffer *blob, Py_buffer *offsets, PyObject *blob_array, PyObject *offsets_array)
{
    if (hold(blob_array, blob, 1, "a strings blob") < 0) {
        return -1;
    }
    if (hold(offsets_array, offsets, 8, "strings offsets") < 0) {
        PyBuffer_Release(blob);
        return -1;
    }
    if (offsets->len < 8) {
        PyErr_SetString(PyExc_ValueError, "stored tables: malformed strings");
        PyBuffer_Release(blob);
        PyBuffer_Release(offsets);
        return -1;
    }
    return 0;
}

/* The bytes of string `number`, or NULL with an exception set. */
static const char *
string_at(Py_buffer *blob, Py_buffer *offsets, Py_ssize_t number, Py_ssize_t *size)
{
    const int64_t *at = (const int64_t *)offsets->buf;
    Py_ssize_t count = offsets->len / 8 - 1;
    if (number < 0 || number >= count) {
        PyErr_SetString(PyExc_IndexError, "string number out of range");
        return NULL;
    }
    int64_t start = at[number], end = at[number + 1];
    if (start < 0 || end < start || end > (int64_t)blob->len) {
        malformed("strings");
        return NULL;
    }
    *size = (Py_ssize_t)(end - start);
    return (const char *)blob->buf + start;
}

static PyObject *
Strings_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *blob, *offsets;
    static char *names[] = {"blob", "offsets", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO", names, &blob, &offsets)) {
        return NULL;
    }
    StringsObject *self = (StringsObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    if (strings_hold(&self->blob, &self->offsets, blob, offsets) < 0) {
        self->blob.obj = self->offsets.obj = NULL;
        Py_DECREF(self);
        return NULL;
    }
    self->count = self->offsets.len / 8 - 1;
    return (PyObject *)self;
}

static void
Strings_dealloc(StringsObject *self)
{
    if (self->blob.obj != NULL) {
        PyBuffer_Release(&self->blob);
    }
    if (self->offsets.obj != NULL) {
        PyBuffer_Release(&self->offsets);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyObject *
Strings_raw(StringsObject *self, PyObject *arg)
{
    Py_ssize_t number = PyLong_AsSsize_t(arg), size;
    if (number == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const char *data = string_at(&self->blob, &self->offsets, number, &size);
    return data == NULL ? NULL : PyBytes_FromStringAndSize(data, size);
}

static PyObject *
Strings_text(StringsObject *self, PyObject *arg)
{
    Py_ssize_t number = PyLong_AsSsize_t(arg), size;
    if (number == -1 && PyErr_Occurred()) {
        return NULL;
    }
    const char *data = string_at(&self->blob, &self->offsets, number, &size);
    return data == NULL ? NULL : PyUnicode_DecodeUTF8(data, size, "strict");
}

/* The positions held by `count` structs `stride` bytes apart, `first` pointing at the first one's, as a
 * list of ints. */
static PyObject *
positions_list(const Py_ssize_t *first, size_t stride, Py_ssize_t count)
{
    PyObject *list = PyList_New(count);
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *number = PyLong_FromSsize_t(*(const Py_ssize_t *)((const char *)first + (size_t)i * stride));
        if (number == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, number);
    }
    return list;
}

/* ---- closest: the strings most alike a text, ranked as rapidfuzz ranks them by fuzz.ratio ---- */

/* The text to compare with, as bit masks: for each of its characters, where in the text it stands (Hyyrö's
 * bit-parallel longest common subsequence, as rapidfuzz computes it; 64 characters to a word). */
typedef struct {
    Py_ssize_t length;      /* characters */
    Py_ssize_t blocks;      /* 64-bit words a mask takes */
    int32_t ascii[128];     /* the slot of an ASCII character, -1 if the text has none */
    Py_UCS4 *others;        /* other characters + 1, open addressing, 0 for an empty place */
    int32_t *other_slots;
    Py_ssize_t capacity;    /* of `others`: a power of two, at least twice the text's length */
    uint64_t *masks;        /* slot * blocks + block */
} Pattern;

static void
pattern_free(Pattern *pattern)
{
    PyMem_Free(pattern->others);
    PyMem_Free(pattern->other_slots);
    PyMem_Free(pattern->masks);
}

/* The masks of character `ch`, or NULL if the text has none (nor, with `slots`, a slot made for it). */
static uint64_t *
pattern_masks(Pattern *pattern, Py_UCS4 ch, Py_ssize_t *slots)
{
    int32_t *slot;
    if (ch < 128) {
        slot = &pattern->ascii[ch];
    }
    else {
        Py_ssize_t place = (Py_ssize_t)((ch * 2654435761u) & (uint32_t)(pattern->capacity - 1));
        while (pattern->others[place] != 0 && pattern->others[place] != ch + 1) {
            place = (place + 1) & (pattern->capacity - 1);
        }
        if (pattern->others[place] == 0) {
            if (slots == NULL) {
                return NULL;
            }
            pattern->others[place] = ch + 1;
            pattern->other_slots[place] = -1;
        }
        slot = &pattern->other_slots[place];
    }
    if (*slot < 0) {
        if (slots == NULL) {
            return NULL;
        }
        *slot = (int32_t)(*slots)++;
    }
    return pattern->masks + (Py_ssize_t)*slot * pattern->blocks;
}

static int
pattern_of(Pattern *pattern, PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text), slots = 0;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    pattern->length = length;
    pattern->blocks = length / 64 + 1;
    for (int i = 0; i < 128; i++) {
        pattern->ascii[i] = -1;
    }
    pattern->capacity = 2;
    while (pattern->capacity < 2 * length) {
        pattern->capacity *= 2;
    }
    pattern->others = PyMem_Calloc((size_t)pattern->capacity, sizeof(Py_UCS4));
    pattern->other_slots = PyMem_Calloc((size_t)pattern->capacity, sizeof(int32_t));
    pattern->masks = PyMem_Calloc((size_t)(length + 1) * (size_t)pattern->blocks, sizeof(uint64_t));
    if (pattern->others == NULL || pattern->other_slots == NULL || pattern->masks == NULL) {
        pattern_free(pattern);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < length; i++) {
        uint64_t *masks = pattern_masks(pattern, PyUnicode_READ(kind, data, i), &slots);
        masks[i / 64] |= (uint64_t)1 << (i % 64);
    }
    return 0;
}

/* One character of the other string: the bit vector `state` (all ones at the start) takes it in. */
static inline void
lcs_step(Pattern *pattern, uint64_t *state, Py_UCS4 ch)
{
    const uint64_t *masks = pattern_masks(pattern, ch, NULL);
    if (masks == NULL) {
        return;
    }
    uint64_t carry = 0;
    for (Py_ssize_t block = 0; block < pattern->blocks; block++) {
        uint64_t before = state[block], matched = before & masks[block];
        uint64_t sum = before + matched;
        uint64_t overflow = sum < before;
        sum += carry;
        carry = overflow | (sum < carry);
        state[block] = sum | (before - matched);
    }
}

/* The longest common subsequence's length: the zeros among the text's bits. */
static Py_ssize_t
lcs_length(const Pattern *pattern, const uint64_t *state)
{
    Py_ssize_t common = 0;
    for (Py_ssize_t block = 0; block < pattern->blocks; block++) {
        Py_ssize_t bits = pattern->length - block * 64;
        uint64_t valid = bits >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << bits) - 1);
        common += __builtin_popcountll(~state[block] & valid);
    }
    return common;
}

typedef struct {
    int64_t alike;     /* fuzz.ratio is 100 * alike / total: twice the common subsequence over both lengths */
    int64_t total;
    Py_ssize_t position;
} Alike;

/* The more alike first (the fractions compared exactly), then the lower position, as rapidfuzz orders
 * process.extract's results. */
static int
alike_order(const void *a, const void *b)
{
    const Alike *x = a, *y = b;
    int64_t left = x->alike * y->total, right = y->alike * x->total;
    if (left != right) {
        return left > right ? -1 : 1;
    }
    return x->position < y->position ? -1 : (x->position > y->position ? 1 : 0);
}

/* How alike string `number` is to the pattern's text; -1 with an exception set. */
static int
alike_of(StringsObject *self, Pattern *pattern, uint64_t *state, Py_ssize_t number, Alike *out)
{
    Py_ssize_t size, length = 0;
    const char *data = string_at(&self->blob, &self->offsets, number, &size);
    if (data == NULL) {
        return -1;
    }
    for (Py_ssize_t block = 0; block < pattern->blocks; block++) {
        state[block] = ~(uint64_t)0;
    }
    Py_ssize_t ascii = 0;
    while (ascii < size && (unsigned char)data[ascii] < 128) {
        ascii++;
    }
    if (ascii == size && pattern->blocks == 1) {  /* (most: a query's text in one 64-bit word, ASCII rows) */
        uint64_t bits = ~(uint64_t)0;
        for (Py_ssize_t i = 0; i < size; i++) {
            int32_t slot = pattern->ascii[(unsigned char)data[i]];
            if (slot >= 0) {
                uint64_t matched = bits & pattern->masks[slot];
                bits = (bits + matched) | (bits - matched);
            }
        }
        state[0] = bits;
        length = size;
    }
    else if (ascii == size) {
        for (Py_ssize_t i = 0; i < size; i++) {
            lcs_step(pattern, state, (Py_UCS4)(unsigned char)data[i]);
        }
        length = size;
    }
    else {
        PyObject *text = PyUnicode_DecodeUTF8(data, size, "strict");
        if (text == NULL) {
            return -1;
        }
        int kind = PyUnicode_KIND(text);
        const void *characters = PyUnicode_DATA(text);
        length = PyUnicode_GET_LENGTH(text);
        for (Py_ssize_t i = 0; i < length; i++) {
            lcs_step(pattern, state, PyUnicode_READ(kind, characters, i));
        }
        Py_DECREF(text);
    }
    out->total = (int64_t)(pattern->length + length);
    out->alike = 2 * (int64_t)lcs_length(pattern, state);
    if (out->total == 0) {  /* two empty strings: fuzz.ratio gives 100 */
        out->alike = out->total = 1;
    }
    return 0;
}

static PyObject *
Strings_closest(StringsObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "closest(text, numbers, places)");
        return NULL;
    }
    Py_ssize_t places = PyLong_AsSsize_t(args[2]);
    if (places == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (places < 1) {
        PyErr_SetString(PyExc_ValueError, "closest: at least one place");
        return NULL;
    }
    Py_buffer numbers;
    if (hold(args[1], &numbers, 4, "string numbers") < 0) {
        return NULL;
    }
    PyObject *result = NULL;
    Pattern pattern;
    Py_ssize_t n = numbers.len / 4;
    Alike *alike = NULL;
    uint64_t *state = NULL;
    if (pattern_of(&pattern, args[0]) < 0) {
        PyBuffer_Release(&numbers);
        return NULL;
    }
    alike = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(Alike));
    state = PyMem_Malloc((size_t)pattern.blocks * sizeof(uint64_t));
    if (alike == NULL || state == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int32_t *number = numbers.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        alike[i].position = i;
        if (alike_of(self, &pattern, state, number[i], &alike[i]) < 0) {
            goto done;
        }
    }
    qsort(alike, (size_t)n, sizeof(Alike), alike_order);
    result = positions_list(&alike->position, sizeof(Alike), places < n ? places : n);

done:
    PyMem_Free(alike);
    PyMem_Free(state);
    pattern_free(&pattern);
    PyBuffer_Release(&numbers);
    return result;
}

/* ---- token_set_ratios: rapidfuzz's fuzz.token_set_ratio of a text against stored strings ---- */

/* A word of a text: where its characters start in the text's buffer, and how many. */
typedef struct {
    Py_ssize_t start;
    Py_ssize_t length;
} Word;

/* A text's characters and its distinct words in code point order, as the token set ratio takes them. */
typedef struct {
    Py_UCS4 *chars;
    Py_ssize_t length;
    Py_ssize_t capacity;
    Word *words;
    Py_ssize_t count;
} Words;

static void
words_free(Words *words)
{
    PyMem_Free(words->chars);
    PyMem_Free(words->words);
    words->chars = NULL;
    words->words = NULL;
    words->capacity = 0;
}

/* Room for `length` characters and as many words (a word has one at least). */
static int
words_reserve(Words *words, Py_ssize_t length)
{
    if (length <= words->capacity) {
        return 0;
    }
    Py_ssize_t capacity = length < 64 ? 64 : 2 * length;
    Py_UCS4 *chars = PyMem_Realloc(words->chars, (size_t)capacity * sizeof(Py_UCS4));
    if (chars == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    words->chars = chars;
    Word *found = PyMem_Realloc(words->words, (size_t)capacity * sizeof(Word));
    if (found == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    words->words = found;
    words->capacity = capacity;
    return 0;
}

/* -1, 0 or 1 as word `a` of `left` sorts before, with or after word `b` of `right` (by code points, a
 * prefix first), as Python sorts str. */
static int
word_order(const Words *left, Word a, const Words *right, Word b)
{
    Py_ssize_t shorter = a.length < b.length ? a.length : b.length;
    const Py_UCS4 *x = left->chars + a.start, *y = right->chars + b.start;
    for (Py_ssize_t i = 0; i < shorter; i++) {
        if (x[i] != y[i]) {
            return x[i] < y[i] ? -1 : 1;
        }
    }
    return a.length < b.length ? -1 : (a.length > b.length ? 1 : 0);
}

/* A character rapidfuzz splits words at: Python's whitespace, but U+0085 and U+00A0 only in a text
 * with a character beyond U+00FF (`wide`: rapidfuzz reads a text of one byte a character otherwise). */
static inline int
splits_words(Py_UCS4 ch, int wide)
{
    if (ch < 128) {
        return ch == ' ' || (ch >= 0x09 && ch <= 0x0D) || (ch >= 0x1C && ch <= 0x1F);
    }
    return (wide || (ch != 0x85 && ch != 0xA0)) && Py_UNICODE_ISSPACE(ch);
}

/* The words of the characters held, split where rapidfuzz splits them, sorted, each kept once. (Insertion
 * sort: a party's name has a few words.) */
static void
words_split(Words *words, int wide)
{
    Py_ssize_t count = 0, at = 0;
    while (at < words->length) {
        while (at < words->length && splits_words(words->chars[at], wide)) {
            at++;
        }
        Py_ssize_t start = at;
        while (at < words->length && !splits_words(words->chars[at], wide)) {
            at++;
        }
        if (at == start) {
            break;
        }
        Word word = {start, at - start};
        Py_ssize_t place = count;
        int order = 1;
        while (place > 0 && (order = word_order(words, words->words[place - 1], words, word)) > 0) {
            place--;
        }
        if (place > 0 && order == 0) {
            continue;  /* already held */
        }
        memmove(&words->words[place + 1], &words->words[place], (size_t)(count - place) * sizeof(Word));
        words->words[place] = word;
        count++;
    }
    words->count = count;
}

static int
words_of_text(Words *words, PyObject *text)
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (words_reserve(words, length) < 0) {
        return -1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < length; i++) {
        words->chars[i] = PyUnicode_READ(kind, data, i);
    }
    words->length = length;
    words_split(words, kind != PyUnicode_1BYTE_KIND);
    return 0;
}

static int
words_of_utf8(Words *words, const char *data, Py_ssize_t size)
{
    Py_ssize_t ascii = 0;
    while (ascii < size && (unsigned char)data[ascii] < 128) {
        ascii++;
    }
    if (ascii < size) {
        PyObject *text = PyUnicode_DecodeUTF8(data, size, "strict");
        if (text == NULL) {
            return -1;
        }
        int done = words_of_text(words, text);
        Py_DECREF(text);
        return done;
    }
    if (words_reserve(words, size) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < size; i++) {
        words->chars[i] = (unsigned char)data[i];
    }
    words->length = size;
    words_split(words, 0);
    return 0;
}

/* The longest common subsequence of two texts (Hyyrö's bit-parallel algorithm, one 64-bit word when the
 * first text fits in it, the blocks of a Pattern otherwise). */
static Py_ssize_t
common_subsequence(const Py_UCS4 *a, Py_ssize_t la, const Py_UCS4 *b, Py_ssize_t lb)
{
    if (la == 0 || lb == 0) {
        return 0;
    }
    if (la > 64) {
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, a, la);
        if (text == NULL) {
            return -1;
        }
        Pattern pattern;
        int made = pattern_of(&pattern, text);
        Py_DECREF(text);
        if (made < 0) {
            return -1;
        }
        uint64_t *state = PyMem_Malloc((size_t)pattern.blocks * sizeof(uint64_t));
        if (state == NULL) {
            pattern_free(&pattern);
            PyErr_NoMemory();
            return -1;
        }
        for (Py_ssize_t block = 0; block < pattern.blocks; block++) {
            state[block] = ~(uint64_t)0;
        }
        for (Py_ssize_t i = 0; i < lb; i++) {
            lcs_step(&pattern, state, b[i]);
        }
        Py_ssize_t common = lcs_length(&pattern, state);
        PyMem_Free(state);
        pattern_free(&pattern);
        return common;
    }
    uint64_t ascii[128];
    Py_UCS4 others[64];
    uint64_t other_masks[64];
    int other_count = 0;
    for (Py_ssize_t i = 0; i < la; i++) {  /* (only the entries the text uses are set, then read) */
        if (a[i] < 128) {
            ascii[a[i]] = 0;
        }
    }
    for (Py_ssize_t i = 0; i < la; i++) {
        uint64_t bit = (uint64_t)1 << i;
        if (a[i] < 128) {
            ascii[a[i]] |= bit;
            continue;
        }
        int slot = 0;
        while (slot < other_count && others[slot] != a[i]) {
            slot++;
        }
        if (slot == other_count) {
            others[other_count] = a[i];
            other_masks[other_count++] = 0;
        }
        other_masks[slot] |= bit;
    }
    uint64_t in_a[2] = {0, 0};  /* which ASCII characters the first text holds */
    for (Py_ssize_t i = 0; i < la; i++) {
        if (a[i] < 128) {
            in_a[a[i] >> 6] |= (uint64_t)1 << (a[i] & 63);
        }
    }
    uint64_t state = ~(uint64_t)0;
    for (Py_ssize_t i = 0; i < lb; i++) {
        Py_UCS4 ch = b[i];
        uint64_t mask = 0;
        if (ch < 128) {
            if (in_a[ch >> 6] >> (ch & 63) & 1) {
                mask = ascii[ch];
            }
        }
        else {
            for (int slot = 0; slot < other_count; slot++) {
                if (others[slot] == ch) {
                    mask = other_masks[slot];
                    break;
                }
            }
        }
        uint64_t matched = state & mask;
        state = (state + matched) | (state - matched);
    }
    uint64_t valid = la == 64 ? ~(uint64_t)0 : (((uint64_t)1 << la) - 1);
    return __builtin_popcountll(~state & valid);
}

/* fuzz's score of `dist` edits over `lensum` characters, 0 under the cutoff (rapidfuzz's norm_distance). */
static double
norm_distance(Py_ssize_t dist, Py_ssize_t lensum, double cutoff)
{
    double score = lensum > 0 ? 100.0 - 100.0 * (double)dist / (double)lensum : 100.0;
    return score >= cutoff ? score : 0.0;
}

/* Appends word `word` of `words` to `joined` (`length` characters so far), after a space if it holds any. */
static void
join_word(Py_UCS4 *joined, Py_ssize_t *length, const Words *words, Word word)
{
    if (*length > 0) {
        joined[(*length)++] = ' ';
    }
    memcpy(joined + *length, words->chars + word.start, (size_t)word.length * sizeof(Py_UCS4));
    *length += word.length;
}

/* fuzz.token_set_ratio(query, listed, score_cutoff=cutoff), step by step as rapidfuzz computes it, the
 * two sides' words already split, sorted and distinct; -1 with an exception set. `ab` and `ba` have room
 * for the two texts. */
static double
token_set_ratio(const Words *query, const Words *listed, double cutoff, Py_UCS4 *ab, Py_UCS4 *ba)
{
    if (cutoff > 100 || query->count == 0 || listed->count == 0) {
        return 0.0;
    }
    Py_ssize_t i = 0, j = 0, shared = 0, shared_chars = 0, ab_len = 0, ba_len = 0;
    while (i < query->count || j < listed->count) {
        int order = i == query->count ? 1 : (j == listed->count ? -1
                    : word_order(query, query->words[i], listed, listed->words[j]));
        if (order == 0) {
            shared++;
            shared_chars += query->words[i].length;
            i++;
            j++;
        }
        else if (order < 0) {
            join_word(ab, &ab_len, query, query->words[i++]);
        }
        else {
            join_word(ba, &ba_len, listed, listed->words[j++]);
        }
    }
    if (shared && (ab_len == 0 || ba_len == 0)) {
        return 100.0;  /* one name's words are all in the other */
    }
    Py_ssize_t sect_len = shared ? shared_chars + shared - 1 : 0;
    Py_ssize_t sect_ab_len = sect_len + (sect_len != 0) + ab_len;
    Py_ssize_t sect_ba_len = sect_len + (sect_len != 0) + ba_len;
    Py_ssize_t lensum = sect_ab_len + sect_ba_len;
    double result = 0.0;
    Py_ssize_t cutoff_distance = (Py_ssize_t)ceil((double)lensum * (1.0 - cutoff / 100.0));
    Py_ssize_t common = common_subsequence(ab, ab_len, ba, ba_len);
    if (common < 0) {
        return -1.0;
    }
    Py_ssize_t dist = ab_len + ba_len - 2 * common;
    if (dist <= cutoff_distance) {
        result = norm_distance(dist, lensum, cutoff);
    }
    if (sect_len == 0) {
        return result;
    }
    double sect_ab = norm_distance((sect_len != 0) + ab_len, sect_len + sect_ab_len, cutoff);
    double sect_ba = norm_distance((sect_len != 0) + ba_len, sect_len + sect_ba_len, cutoff);
    if (sect_ab > result) {
        result = sect_ab;
    }
    return sect_ba > result ? sect_ba : result;
}

static PyObject *
Strings_token_set_ratios(StringsObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "token_set_ratios(text, numbers: list, cutoff)");
        return NULL;
    }
    double cutoff = PyFloat_AsDouble(args[2]);
    if (cutoff == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *numbers = args[1];
    Py_ssize_t n = PyList_GET_SIZE(numbers);
    PyObject *result = PyList_New(n);
    if (result == NULL) {
        return NULL;
    }
    Words query = {0}, listed = {0};
    Py_UCS4 *ab = NULL, *ba = NULL;
    Py_ssize_t room = 0;
    if (words_of_text(&query, args[0]) < 0) {
        goto failed;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t number = PyLong_AsSsize_t(PyList_GET_ITEM(numbers, i)), size;
        if (number == -1 && PyErr_Occurred()) {
            goto failed;
        }
        const char *data = string_at(&self->blob, &self->offsets, number, &size);
        if (data == NULL || words_of_utf8(&listed, data, size) < 0) {
            goto failed;
        }
        Py_ssize_t needed = (query.length > listed.length ? query.length : listed.length) + 1;
        if (needed > room) {
            PyMem_Free(ab);
            PyMem_Free(ba);
            room = 2 * needed;
            ab = PyMem_Malloc((size_t)room * sizeof(Py_UCS4));
            ba = PyMem_Malloc((size_t)room * sizeof(Py_UCS4));
            if (ab == NULL || ba == NULL) {
                PyErr_NoMemory();
                goto failed;
            }
        }
        double ratio = token_set_ratio(&query, &listed, cutoff, ab, ba);
        PyObject *value = ratio < 0 ? NULL : PyFloat_FromDouble(ratio);
        if (value == NULL) {
            goto failed;
        }
        PyList_SET_ITEM(result, i, value);
    }
    words_free(&query);
    words_free(&listed);
    PyMem_Free(ab);
    PyMem_Free(ba);
    return result;

failed:
    words_free(&query);
    words_free(&listed);
    PyMem_Free(ab);
    PyMem_Free(ba);
    Py_DECREF(result);
    return NULL;
}

static PyMethodDef Strings_methods[] = {
    {"raw", (PyCFunction)Strings_raw, METH_O, "The string's UTF-8 bytes."},
    {"text", (PyCFunction)Strings_text, METH_O, "The string, decoded."},
    {"closest", (PyCFunction)(void (*)(void))Strings_closest, METH_FASTCALL,
     "Positions in `numbers` (int32) of the `places` strings most alike `text`, the most alike first, as "
     "rapidfuzz's process.extract(text, strings, scorer=fuzz.ratio, limit=places) orders them."},
    {"token_set_ratios", (PyCFunction)(void (*)(void))Strings_token_set_ratios, METH_FASTCALL,
     "rapidfuzz's fuzz.token_set_ratio(text, string, score_cutoff=cutoff) for the string of each of `numbers` "
     "(a list of ints)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject StringsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "service.engine.parties._in_c.Strings",
    .tp_doc = "Strings by number, read from a UTF-8 blob and its offsets in place.",
    .tp_basicsize = sizeof(StringsObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Strings_new,
    .tp_dealloc = (destructor)Strings_dealloc,
    .tp_methods = Strings_methods,
};

/* ---- Respelling: a table of (old, new) spellings, each replaced in turn ---- */

/* The ASCII letters of a text as 128 bits; a character beyond ASCII sets none. */
static void
ascii_letters(PyObject *text, uint64_t letters[2])
{
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    letters[0] = letters[1] = 0;
    for (Py_ssize_t i = 0; i < length; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        if (ch < 128) {
            letters[ch >> 6] |= (uint64_t)1 << (ch & 63);
        }
    }
}

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;  /* called as a function: compiled Python calls it without looking up a method */
    PyObject *olds;     /* tuple of str */
    PyObject *news;     /* tuple of str, as many */
    uint64_t *needs;    /* per rule, the ASCII letters its old spelling has: 2 words each */
} RespellingObject;

static void
Respelling_dealloc(RespellingObject *self)
{
    Py_XDECREF(self->olds);
    Py_XDECREF(self->news);
    PyMem_Free(self->needs);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* respell: each old spelling found in the text replaced by its new one, rule after rule. A rule whose
 * old spelling has an ASCII letter the text lacks cannot be found, and is passed over without a search
 * (whatever else it has: an old spelling all beyond ASCII needs no letter, and is always searched). */
static PyObject *
Respelling_apply(RespellingObject *self, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "respell: the text is a str");
        return NULL;
    }
    uint64_t letters[2];
    ascii_letters(text, letters);
    Py_INCREF(text);
    Py_ssize_t count = PyTuple_GET_SIZE(self->olds);
    for (Py_ssize_t i = 0; i < count; i++) {
        const uint64_t *needs = &self->needs[2 * i];
        if ((needs[0] & ~letters[0]) | (needs[1] & ~letters[1])) {
            continue;
        }
        PyObject *old = PyTuple_GET_ITEM(self->olds, i);
        int found = PyUnicode_Contains(text, old);
        if (found < 0) {
            Py_DECREF(text);
            return NULL;
        }
        if (found) {
            PyObject *replaced = PyUnicode_Replace(text, old, PyTuple_GET_ITEM(self->news, i), -1);
            Py_DECREF(text);
            if (replaced == NULL) {
                return NULL;
            }
            text = replaced;
            ascii_letters(text, letters);
        }
    }
    return text;
}

static PyObject *
Respelling_call(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a respelling takes one text");
        return NULL;
    }
    return Respelling_apply((RespellingObject *)self, args[0]);
}

static PyObject *
Respelling_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *olds, *news;
    static char *names[] = {"olds", "news", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!", names, &PyTuple_Type, &olds, &PyTuple_Type, &news)) {
        return NULL;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(olds);
    if (PyTuple_GET_SIZE(news) != count) {
        PyErr_SetString(PyExc_ValueError, "Respelling: as many new spellings as old ones");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!PyUnicode_Check(PyTuple_GET_ITEM(olds, i)) || !PyUnicode_Check(PyTuple_GET_ITEM(news, i))) {
            PyErr_SetString(PyExc_TypeError, "Respelling: spellings are str");
            return NULL;
        }
    }
    RespellingObject *self = (RespellingObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->needs = PyMem_Calloc((size_t)(count ? count : 1) * 2, sizeof(uint64_t));
    if (self->needs == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    self->vectorcall = Respelling_call;
    Py_INCREF(olds);
    Py_INCREF(news);
    self->olds = olds;
    self->news = news;
    for (Py_ssize_t i = 0; i < count; i++) {
        ascii_letters(PyTuple_GET_ITEM(olds, i), &self->needs[2 * i]);
    }
    return (PyObject *)self;
}

static PyTypeObject RespellingType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "service.engine.parties._in_c.Respelling",
    .tp_doc = "A table of (old, new) spellings; called with a text, each replaced in it in turn.",
    .tp_basicsize = sizeof(RespellingObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = Respelling_new,
    .tp_dealloc = (destructor)Respelling_dealloc,
    .tp_vectorcall_offset = offsetof(RespellingObject, vectorcall),
    .tp_call = PyVectorcall_Call,
};

/* ---- Keys: CRC-32s sorted, in buckets by their leading bits, each checked against its spelling ---- */

typedef struct {
    PyObject_HEAD
    Py_buffer blob;     /* uint8: the keys' spellings */
    Py_buffer offsets;  /* int64 */
    Py_buffer hashes;   /* int64, sorted */
    Py_buffer buckets;  /* int64: where each bucket starts (2**bits + 1) */
    Py_buffer order;    /* int32: the key number of each hash */
    int shift;
} KeysObject;

static PyObject *
Keys_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *blob, *offsets, *hashes, *buckets, *order;
    int shift;
    static char *names[] = {"blob", "offsets", "hashes", "buckets", "order", "shift", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOi", names, &blob, &offsets, &hashes, &buckets,
                                     &order, &shift)) {
        return NULL;
    }
    if (shift < 0 || shift > 31) {
        return malformed("keys: bucket shift");
    }
    KeysObject *self = (KeysObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->shift = shift;
    if (strings_hold(&self->blob, &self->offsets, blob, offsets) < 0) {
        goto failed;
    }
    if (hold(hashes, &self->hashes, 8, "key hashes") < 0) {
        goto failed;
    }
    if (hold(buckets, &self->buckets, 8, "key buckets") < 0) {
        goto failed;
    }
    if (hold(order, &self->order, 4, "key order") < 0) {
        goto failed;
    }
    Py_ssize_t total = self->hashes.len / 8;
    if (self->order.len / 4 != total || self->offsets.len / 8 - 1 != total
            || self->buckets.len / 8 != ((Py_ssize_t)1 << (32 - shift)) + 1) {
        malformed("keys");
        goto failed;
    }
    return (PyObject *)self;

failed:
    Py_DECREF(self);
    return NULL;
}

static void
Keys_dealloc(KeysObject *self)
{
    Py_buffer *held[] = {&self->blob, &self->offsets, &self->hashes, &self->buckets, &self->order};
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++) {
        if (held[i]->obj != NULL) {
            PyBuffer_Release(held[i]);
        }
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The number of the key spelled by these UTF-8 bytes, -1 for a key not held, -2 with an exception set. */
static Py_ssize_t
keys_number(KeysObject *self, const char *encoded, Py_ssize_t size)
{
    uint32_t wanted = crc32_of((const unsigned char *)encoded, size);
    const int64_t *hashes = (const int64_t *)self->hashes.buf;
    const int64_t *buckets = (const int64_t *)self->buckets.buf;
    const int32_t *order = (const int32_t *)self->order.buf;
    Py_ssize_t total = self->hashes.len / 8;
    uint32_t bucket = wanted >> self->shift;
    int64_t first = buckets[bucket], last = buckets[bucket + 1];
    if (first < 0 || last < first || last > (int64_t)total) {
        malformed("keys: buckets");
        return -2;
    }
    for (int64_t at = first; at < last; at++) {
        if (hashes[at] != (int64_t)wanted) {
            continue;
        }
        Py_ssize_t spelled;
        const char *spelling = string_at(&self->blob, &self->offsets, order[at], &spelled);
        if (spelling == NULL) {
            return -2;
        }
        if (spelled == size && memcmp(spelling, encoded, (size_t)size) == 0) {
            return order[at];
        }
    }
    return -1;
}

static PyObject *
Keys_find(KeysObject *self, PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "a key is a str, not %.100s", Py_TYPE(key)->tp_name);
        return NULL;
    }
    Py_ssize_t size;
    const char *encoded = PyUnicode_AsUTF8AndSize(key, &size);
    if (encoded == NULL) {
        return NULL;
    }
    Py_ssize_t number = keys_number(self, encoded, size);
    return number == -2 ? NULL : PyLong_FromSsize_t(number);
}

/* Where a word may be cut in two held keys: (cut, the head's number, the tail's number) for each cut
 * from the second character to the second last where either half is held (-1 for one not held). */
static PyObject *
Keys_cuts(KeysObject *self, PyObject *word)
{
    if (!PyUnicode_Check(word)) {
        PyErr_Format(PyExc_TypeError, "a word is a str, not %.100s", Py_TYPE(word)->tp_name);
        return NULL;
    }
    Py_ssize_t size, length = PyUnicode_GET_LENGTH(word);
    const char *encoded = PyUnicode_AsUTF8AndSize(word, &size);
    if (encoded == NULL) {
        return NULL;
    }
    PyObject *found = PyList_New(0);
    if (found == NULL) {
        return NULL;
    }
    Py_ssize_t at = 0;  /* the byte where character `cut` starts */
    for (Py_ssize_t cut = 0; cut < length - 1; cut++) {
        if (cut >= 2) {
            Py_ssize_t head = keys_number(self, encoded, at);
            Py_ssize_t tail = head == -2 ? -2 : keys_number(self, encoded + at, size - at);
            if (head == -2 || tail == -2) {
                Py_DECREF(found);
                return NULL;
            }
            if (head >= 0 || tail >= 0) {
                PyObject *item = Py_BuildValue("(nnn)", cut, head, tail);
                if (item == NULL || PyList_Append(found, item) < 0) {
                    Py_XDECREF(item);
                    Py_DECREF(found);
                    return NULL;
                }
                Py_DECREF(item);
            }
        }
        do {  /* past this character's bytes */
            at++;
        } while (at < size && ((unsigned char)encoded[at] & 0xC0) == 0x80);
    }
    return found;
}

static PyMethodDef Keys_methods[] = {
    {"find", (PyCFunction)Keys_find, METH_O, "The key's number, -1 for a key not held."},
    {"cuts", (PyCFunction)Keys_cuts, METH_O,
     "(cut, head's number, tail's number) for each cut of a word, from the second character to the second "
     "last, where either half is a held key (-1 for a half not held)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject KeysType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "service.engine.parties._in_c.Keys",
    .tp_doc = "A key table's look-up, read from its arrays in place.",
    .tp_basicsize = sizeof(KeysObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = Keys_new,
    .tp_dealloc = (destructor)Keys_dealloc,
    .tp_methods = Keys_methods,
};


/* ---- best_places: the best candidate rows by shared weight ---- */

typedef struct {
    double score;
    int32_t row;
    Py_ssize_t position;
} Placed;

/* Best first: the higher score, then the higher row (rows are distinct). */
static int
placed_order(const void *a, const void *b)
{
    const Placed *x = a, *y = b;
    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    return x->row > y->row ? -1 : (x->row < y->row ? 1 : 0);
}

/* The k-th largest of values[0..n) (k from 0), reordering them (quickselect). */
static double
kth_largest(double *values, Py_ssize_t n, Py_ssize_t k)
{
    Py_ssize_t low = 0, high = n - 1;
    while (low < high) {
        double pivot = values[low + (high - low) / 2];
        Py_ssize_t i = low, j = high;
        while (i <= j) {
            while (values[i] > pivot) {
                i++;
            }
            while (values[j] < pivot) {
                j--;
            }
            if (i <= j) {
                double swap = values[i];
                values[i] = values[j];
                values[j] = swap;
                i++;
                j--;
            }
        }
        if (k <= j) {
            high = j;
        }
        else if (k >= i) {
            low = i;
        }
        else {
            break;
        }
    }
    return values[k];
}


/* The candidate rows' order for best_places: each row's score (its weight less 0.01 a word of length
 * apart from `size`), and the rows at or near the last place's score sorted into `placed`, best first
 * (only those can take a place). `scores` and `placed` have room for n. Returns how many are sorted,
 * or -1 with IndexError for a row beyond the `rows_total` lengths. */
static Py_ssize_t
sorted_places(const int32_t *row, const double *weight, Py_ssize_t n, const int32_t *length,
              Py_ssize_t rows_total, Py_ssize_t size, Py_ssize_t places, double *scores, Placed *placed)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        if (row[i] < 0 || row[i] >= rows_total) {
            PyErr_SetString(PyExc_IndexError, "best_places: a row beyond the table");
            return -1;
        }
        int64_t apart = (int64_t)length[row[i]] - (int64_t)size;
        scores[i] = weight[i] - 0.01 * (double)(apart < 0 ? -apart : apart);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        placed[i].score = scores[i];
    }
    double last = kth_largest(scores, n, places - 1);  /* (reorders `scores`: `placed` keeps them in order) */
    Py_ssize_t near = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (placed[i].score >= last - 1e-9) {
            placed[near].score = placed[i].score;
            placed[near].row = row[i];
            placed[near].position = i;
            near++;
        }
    }
    qsort(placed, (size_t)near, sizeof(Placed), placed_order);
    return near;
}

/* Whether more of the `near` sorted rows than there are places tie for the last places; if so, `*ahead`
 * is how many places go to rows ahead of the tie (the first ones), and the tied rows are those whose
 * score is within 1e-9 of `*cut`. */
static int
tied_at_last(const Placed *placed, Py_ssize_t near, Py_ssize_t places, Py_ssize_t *ahead, double *cut)
{
    *cut = placed[places - 1].score;
    if (near == places || fabs(placed[places].score - *cut) >= 1e-9) {
        return 0;
    }
    *ahead = 0;
    for (Py_ssize_t i = 0; i < places; i++) {
        if (placed[i].score > *cut + 1e-9) {
            (*ahead)++;
        }
    }
    return 1;
}

static PyObject *
best_places(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "best_places(rows, weights, lengths, size, places)");
        return NULL;
    }
    Py_ssize_t size = PyLong_AsSsize_t(args[3]), places = PyLong_AsSsize_t(args[4]);
    if ((size == -1 || places == -1) && PyErr_Occurred()) {
        return NULL;
    }
    static const Py_ssize_t itemsizes[3] = {4, 8, 4};
    static const char *const what[3] = {"candidate rows", "candidate weights", "row lengths"};
    Py_buffer views[3];
    if (hold_all(args, views, itemsizes, what, 3) < 0) {
        return NULL;
    }
    Py_buffer rows = views[0], weights = views[1], lengths = views[2];
    PyObject *result = NULL;
    Placed *placed = NULL;
    double *scores = NULL;
    Py_ssize_t n = rows.len / 4, rows_total = lengths.len / 4;
    if (weights.len / 8 != n || places < 1 || places >= n) {
        PyErr_SetString(PyExc_ValueError, "best_places: more rows than places, and a weight for each");
        goto done;
    }
    scores = PyMem_Malloc((size_t)n * sizeof(double));
    placed = PyMem_Malloc((size_t)n * sizeof(Placed));
    if (scores == NULL || placed == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t near = sorted_places(rows.buf, weights.buf, n, lengths.buf, rows_total, size, places, scores, placed);
    if (near < 0) {
        goto done;
    }
    Py_ssize_t ahead = 0;
    double cut = 0.0;
    if (!tied_at_last(placed, near, places, &ahead, &cut)) {
        PyObject *best = positions_list(&placed->position, sizeof(Placed), places);
        result = best == NULL ? NULL : Py_BuildValue("(NO)", best, Py_None);
        goto done;
    }
    /* more rows tied for the last places: the rows ahead of the tie, and the tied rows in order */
    PyObject *ahead_list = positions_list(&placed->position, sizeof(Placed), ahead);
    if (ahead_list == NULL) {
        goto done;
    }
    Py_ssize_t tied = 0;
    for (Py_ssize_t i = 0; i < near; i++) {
        if (fabs(placed[i].score - cut) < 1e-9) {
            placed[tied++] = placed[i];
        }
    }
    PyObject *tied_list = positions_list(&placed->position, sizeof(Placed), tied);
    if (tied_list == NULL) {
        Py_DECREF(ahead_list);
        goto done;
    }
    result = Py_BuildValue("(NN)", ahead_list, tied_list);

done:
    PyMem_Free(scores);
    PyMem_Free(placed);
    release_all(views, 3);
    return result;
}

/* ---- tally: the rows of a query's groups, merged ---- */

static PyObject *
tally(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 6 || !PyList_Check(args[0]) || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "tally(groups, weights, rows_out, counts_out, weights_out, starts_out)");
        return NULL;
    }
    PyObject *groups = args[0], *group_weights = args[1];
    Py_ssize_t k = PyList_GET_SIZE(groups);
    if (PyList_GET_SIZE(group_weights) != k || k == 0) {
        PyErr_SetString(PyExc_ValueError, "tally: a weight for each group, and at least one group");
        return NULL;
    }
    Py_buffer *views = PyMem_Calloc((size_t)k, sizeof(Py_buffer));
    Py_ssize_t *at = PyMem_Calloc((size_t)k, sizeof(Py_ssize_t));
    double *weight = PyMem_Calloc((size_t)k, sizeof(double));
    Py_buffer out[4];
    int held_groups = 0, held_out = 0;
    PyObject *result = NULL;
    if (views == NULL || at == NULL || weight == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t total = 0;
    int ascending = 1;
    for (Py_ssize_t g = 0; g < k; g++) {
        if (hold(PyList_GET_ITEM(groups, g), &views[g], 4, "a group's rows") < 0) {
            goto done;
        }
        held_groups++;
        weight[g] = PyFloat_AsDouble(PyList_GET_ITEM(group_weights, g));
        if (weight[g] == -1.0 && PyErr_Occurred()) {
            goto done;
        }
        const int32_t *rows = views[g].buf;
        Py_ssize_t count = views[g].len / 4;
        for (Py_ssize_t i = 1; i < count && ascending; i++) {
            ascending = rows[i - 1] <= rows[i];
        }
        total += count;
    }
    if (!ascending) {  /* (not as postings give them: the caller merges them otherwise) */
        result = PyLong_FromLong(-1);
        goto done;
    }
    static const Py_ssize_t itemsizes[4] = {4, 8, 8, 8};
    static const char *const what[4] = {"merged rows", "counts", "weights", "run starts"};
    if (hold_all(args + 2, out, itemsizes, what, 4) < 0) {
        goto done;
    }
    held_out = 4;
    if (room_for(out, itemsizes, what, 4, total, "tally") < 0) {
        goto done;
    }
    int32_t *merged = out[0].buf;
    int64_t *counts = out[1].buf, *starts = out[3].buf;
    double *weights = out[2].buf;
    Py_ssize_t distinct = 0;
    for (Py_ssize_t o = 0; o < total; o++) {
        /* the least head, the earlier group first: what a stable sort of the groups joined gives */
        Py_ssize_t least = -1;
        int32_t row = 0;
        for (Py_ssize_t g = 0; g < k; g++) {
            if (at[g] < views[g].len / 4) {
                int32_t head = ((const int32_t *)views[g].buf)[at[g]];
                if (least < 0 || head < row) {
                    least = g;
                    row = head;
                }
            }
        }
        at[least]++;
        weights[o] = weight[least];
        if (distinct == 0 || merged[distinct - 1] != row) {
            merged[distinct] = row;
            counts[distinct] = 1;
            starts[distinct] = o;
            distinct++;
        }
        else {
            counts[distinct - 1]++;
        }
    }
    result = PyLong_FromSsize_t(distinct);

done:
    release_all(out, held_out);
    release_all(views, held_groups);
    PyMem_Free(views);
    PyMem_Free(at);
    PyMem_Free(weight);
    return result;
}

/* ---- picked: some items of an int32 or int64 array, as Python numbers ---- */

static PyObject *
picked(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "picked(array, positions)");
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[0], &view, PyBUF_C_CONTIGUOUS) < 0) {
        return NULL;
    }
    PyObject *list = NULL;
    if (view.itemsize != 4 && view.itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "picked: an array of int32 or int64");
        goto done;
    }
    Py_ssize_t count = PyList_GET_SIZE(args[1]), size = view.len / view.itemsize;
    list = PyList_New(count);
    if (list == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t at = PyLong_AsSsize_t(PyList_GET_ITEM(args[1], i));
        if (at == -1 && PyErr_Occurred()) {
            Py_CLEAR(list);
            goto done;
        }
        if (at < 0 || at >= size) {
            PyErr_SetString(PyExc_IndexError, "picked: a position beyond the array");
            Py_CLEAR(list);
            goto done;
        }
        long long item = view.itemsize == 4 ? ((const int32_t *)view.buf)[at] : ((const int64_t *)view.buf)[at];
        PyObject *number = PyLong_FromLongLong(item);
        if (number == NULL) {
            Py_CLEAR(list);
            goto done;
        }
        PyList_SET_ITEM(list, i, number);
    }

done:
    PyBuffer_Release(&view);
    return list;
}

/* ---- passing_places: passing, then best_places on the rows kept, in one call ---- */

/* The rows and shared counts of the kept candidates at some places (`from` to `to`, or only those whose
 * score is within 1e-9 of `cut` when `tied`), as two lists. */
static PyObject *
placed_lists(const Placed *placed, Py_ssize_t from, Py_ssize_t to, int tied, double cut, const int64_t *shared)
{
    Py_ssize_t count = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        count += !tied || fabs(placed[i].score - cut) < 1e-9;
    }
    PyObject *rows = PyList_New(count), *counts = PyList_New(count);
    if (rows == NULL || counts == NULL) {
        goto failed;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        if (tied && fabs(placed[i].score - cut) >= 1e-9) {
            continue;
        }
        PyObject *row = PyLong_FromLong(placed[i].row);
        if (row == NULL) {
            goto failed;
        }
        PyList_SET_ITEM(rows, at, row);
        PyObject *number = PyLong_FromLongLong(shared[placed[i].position]);
        if (number == NULL) {
            goto failed;
        }
        PyList_SET_ITEM(counts, at, number);
        at++;
    }
    return Py_BuildValue("(NN)", rows, counts);

failed:
    Py_XDECREF(rows);
    Py_XDECREF(counts);
    return NULL;
}

static PyObject *
passing_places(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 10) {
        PyErr_SetString(PyExc_TypeError, "passing_places(rows, counts, shared, weights, contained_at, least, bonus,"
                                         " lengths, size, places)");
        return NULL;
    }
    long long least = PyLong_AsLongLong(args[5]);
    double bonus = PyFloat_AsDouble(args[6]);
    Py_ssize_t size = PyLong_AsSsize_t(args[8]), places = PyLong_AsSsize_t(args[9]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (places < 1) {
        PyErr_SetString(PyExc_ValueError, "passing_places: at least one place");
        return NULL;
    }
    static const Py_ssize_t itemsizes[6] = {4, 8, 8, 8, 4, 4};
    static const char *const what[6] = {"candidate rows", "counts", "shared", "weights", "contained_at",
                                        "row lengths"};
    PyObject *const arrays[6] = {args[0], args[1], args[2], args[3], args[4], args[7]};
    Py_buffer views[6];
    if (hold_all(arrays, views, itemsizes, what, 6) < 0) {
        return NULL;
    }
    PyObject *result = NULL, *best = NULL, *tied = NULL;
    int32_t *kept_rows = NULL;
    int64_t *kept_shared = NULL;
    double *kept_weights = NULL, *scores = NULL;
    Placed *placed = NULL;
    Py_ssize_t n = views[0].len / 4, table = views[4].len / 4;
    if (views[1].len / 8 != n || views[2].len / 8 != n || views[3].len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "passing_places: a count, a shared count and a weight for each row");
        goto done;
    }
    size_t room = (size_t)(n ? n : 1);
    kept_rows = PyMem_Malloc(room * sizeof(int32_t));
    kept_shared = PyMem_Malloc(room * sizeof(int64_t));
    kept_weights = PyMem_Malloc(room * sizeof(double));
    scores = PyMem_Malloc(room * sizeof(double));
    placed = PyMem_Malloc(room * sizeof(Placed));
    if (kept_rows == NULL || kept_shared == NULL || kept_weights == NULL || scores == NULL || placed == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    /* passing: the rows sharing `least` of the query's words or all of their own, `bonus` ahead */
    const int32_t *rows = views[0].buf, *contained_at = views[4].buf;
    const int64_t *counts = views[1].buf, *shared = views[2].buf;
    const double *weights = views[3].buf;
    Py_ssize_t kept = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int32_t row = rows[i];
        if (row < 0 || row >= table) {
            PyErr_SetString(PyExc_IndexError, "passing_places: a row beyond the table");
            goto done;
        }
        int whole = counts[i] >= contained_at[row];
        if (counts[i] >= least || whole) {
            kept_rows[kept] = row;
            kept_shared[kept] = shared[i];
            kept_weights[kept] = whole ? weights[i] + bonus : weights[i];
            kept++;
        }
    }
    if (kept <= places) {  /* every row kept is a candidate, in order */
        for (Py_ssize_t i = 0; i < kept; i++) {
            placed[i].row = kept_rows[i];
            placed[i].position = i;
        }
        best = placed_lists(placed, 0, kept, 0, 0.0, kept_shared);
        result = best == NULL ? NULL : Py_BuildValue("(OO)", best, Py_None);
        goto done;
    }
    Py_ssize_t near = sorted_places(kept_rows, kept_weights, kept, views[5].buf, views[5].len / 4, size, places,
                                    scores, placed);
    if (near < 0) {
        goto done;
    }
    Py_ssize_t ahead = 0;
    double cut = 0.0;
    if (!tied_at_last(placed, near, places, &ahead, &cut)) {
        best = placed_lists(placed, 0, places, 0, cut, kept_shared);
        result = best == NULL ? NULL : Py_BuildValue("(OO)", best, Py_None);
        goto done;
    }
    best = placed_lists(placed, 0, ahead, 0, cut, kept_shared);
    tied = best == NULL ? NULL : placed_lists(placed, 0, near, 1, cut, kept_shared);
    result = tied == NULL ? NULL : Py_BuildValue("(OO)", best, tied);

done:
    Py_XDECREF(best);
    Py_XDECREF(tied);
    PyMem_Free(kept_rows);
    PyMem_Free(kept_shared);
    PyMem_Free(kept_weights);
    PyMem_Free(scores);
    PyMem_Free(placed);
    release_all(views, 6);
    return result;
}

static PyObject *
crc32_function(PyObject *module, PyObject *arg)
{
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    uint32_t crc = crc32_of((const unsigned char *)view.buf, view.len);
    PyBuffer_Release(&view);
    return PyLong_FromUnsignedLong(crc);
}

/* letters.collapse_runs: each run of one character as one character. Every character of the text stays
 * in the result (once for each run), so the result has the text's largest character and is made with
 * the text's kind: the canonical form CPython compares and hashes strings by. */
static PyObject *
collapse_runs(PyObject *module, PyObject *text)
{
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "collapse_runs: a str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t kept = length > 0;
    for (Py_ssize_t i = 1; i < length; i++) {
        kept += PyUnicode_READ(kind, data, i) != PyUnicode_READ(kind, data, i - 1);
    }
    if (kept == length) {
        return Py_NewRef(text);
    }
    PyObject *collapsed = PyUnicode_New(kept, PyUnicode_MAX_CHAR_VALUE(text));
    if (collapsed == NULL) {
        return NULL;
    }
    void *out = PyUnicode_DATA(collapsed);
    Py_UCS4 previous = PyUnicode_READ(kind, data, 0);
    PyUnicode_WRITE(kind, out, 0, previous);
    Py_ssize_t written = 1;
    for (Py_ssize_t i = 1; i < length; i++) {
        Py_UCS4 letter = PyUnicode_READ(kind, data, i);
        if (letter != previous) {
            PyUnicode_WRITE(kind, out, written, letter);
            written++;
            previous = letter;
        }
    }
    return collapsed;
}

static PyMethodDef module_methods[] = {
    {"collapse_runs", collapse_runs, METH_O, "Each run of one character as one character (letters.collapse_runs)."},
    {"picked", (PyCFunction)(void (*)(void))picked, METH_FASTCALL,
     "picked(array, positions): the items of an int32 or int64 array at these positions, as a list."},
    {"tally", (PyCFunction)(void (*)(void))tally, METH_FASTCALL,
     "tally(groups, weights, rows_out, counts_out, weights_out, starts_out): the rows of the ascending"
     " int32 arrays `groups` merged as a stable sort of them joined would order them, into the outputs:"
     " each distinct row, how many groups hold it, the weight of its group for every row merged, and"
     " where each distinct row's run starts; returns the number of distinct rows, or -1 (nothing written)"
     " when a group is not ascending."},
    {"passing_places", (PyCFunction)(void (*)(void))passing_places, METH_FASTCALL,
     "passing_places(rows, counts, shared, weights, contained_at, least, bonus, lengths, size, places): passing,"
     " then best_places on the rows it keeps, in one call: ((rows, shared counts) of the candidates in order,"
     " None), or with more rows tied for the last places ((rows, counts) ahead of the tie, (rows, counts) tied,"
     " in order)."},
    {"best_places", (PyCFunction)(void (*)(void))best_places, METH_FASTCALL,
     "best_places(rows, weights, lengths, size, places): the best `places` of the candidate rows by weight"
     " less 0.01 a word of length apart from `size` (ties: the higher row), as positions in `rows`; with"
     " more rows tied for the last places, (the positions ahead of the tie, the tied positions in order)"
     " instead of (the positions, None)."},
    {"crc32", crc32_function, METH_O, "CRC-32 of bytes, as zlib.crc32 (to test the hash the look-up uses)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "service.engine.parties._in_c",
    .m_doc = "Reading the stored index's key tables and strings in place.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__in_c(void)
{
    crc_prepare();
    if (PyType_Ready(&StringsType) < 0 || PyType_Ready(&KeysType) < 0 || PyType_Ready(&RespellingType) < 0) {
        return NULL;
    }
    PyObject *created = PyModule_Create(&module);
    if (created == NULL) {
        return NULL;
    }
    if (PyModule_AddObjectRef(created, "Strings", (PyObject *)&StringsType) < 0
            || PyModule_AddObjectRef(created, "Keys", (PyObject *)&KeysType) < 0
            || PyModule_AddObjectRef(created, "Respelling", (PyObject *)&RespellingType) < 0) {
        Py_DECREF(created);
        return NULL;
    }
    return created;
}
