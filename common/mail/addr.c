/*
 * addr.c - RFC 5322 mailbox-list parser: a tokenizer that drops
 * comments and whitespace, then a small recursive-descent parser over
 * the tokens.
 */
#include <string.h>

#include "addr.h"
#include "cfws.h"

enum tok_kind {
	TOK_END = 0,
	TOK_ATOM,               /* atext run, dots included (dot-atom) */
	TOK_QUOTED,             /* "...", quotes included */
	TOK_LITERAL,            /* [...], brackets included */
	TOK_SPECIAL,            /* one of < > @ : ; , */
	TOK_BAD,
};

struct tok {
	enum tok_kind kind;
	const unsigned char *p;
	size_t len;
};

struct lexer {
	const unsigned char *p;
	size_t len;
	size_t pos;
	const char *bad;        /* why the input could not be read */
};

static int addr_is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 ||  /* RFC 6532 */
	       (c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* lex_skip - whitespace and (nested) comments */
static void lex_skip(struct lexer *lx)
{
	int unterminated = 0;

	lx->pos = cfws_skip(lx->p, lx->len, lx->pos, &unterminated);
	if (unterminated)
		lx->bad = "unterminated comment";
}

/* lex_delimited - a run from open to close, with quoted pairs */
static int lex_delimited(struct lexer *lx, unsigned char close)
{
	size_t i;

	for (i = lx->pos + 1; i < lx->len; i++) {
		if (lx->p[i] == '\\' && close == '"') {
			i++;
			continue;
		}
		if (lx->p[i] == close) {
			lx->pos = i + 1;
			return 1;
		}
	}
	return 0;
}

static struct tok lex_next(struct lexer *lx)
{
	struct tok t = { TOK_END, NULL, 0 };
	unsigned char c;
	size_t start;

	lex_skip(lx);
	if (lx->bad)
		return (struct tok){ TOK_BAD, NULL, 0 };
	if (lx->pos >= lx->len)
		return t;
	start = lx->pos;
	c = lx->p[start];
	t.p = lx->p + start;
	if (addr_is_atext(c)) {
		while (lx->pos < lx->len && addr_is_atext(lx->p[lx->pos]))
			lx->pos++;
		t.kind = TOK_ATOM;
	} else if (c == '"' || c == '[') {
		if (!lex_delimited(lx, c == '"' ? '"' : ']')) {
			lx->bad = c == '"' ? "unterminated quoted string"
					   : "unterminated domain literal";
			return (struct tok){ TOK_BAD, NULL, 0 };
		}
		t.kind = c == '"' ? TOK_QUOTED : TOK_LITERAL;
	} else if (c && strchr("<>@:;,", c)) {
		lx->pos++;
		t.kind = TOK_SPECIAL;
	} else {
		lx->bad = "a character not allowed in an address";
		return (struct tok){ TOK_BAD, NULL, 0 };
	}
	t.len = lx->pos - start;
	return t;
}

struct parser {
	struct lexer lx;
	struct tok cur;
	struct arena *arena;
	struct addr_list *out;
	struct ms_error *err;
};

static void p_advance(struct parser *ps)
{
	ps->cur = lex_next(&ps->lx);
}

static int p_special(const struct parser *ps, char c)
{
	return ps->cur.kind == TOK_SPECIAL && ps->cur.p[0] == (unsigned char)c;
}

static enum ms_status p_fail(struct parser *ps, const char *why)
{
	return ms_error_set(ps->err, MS_ERR_SYNTAX, "From: %s",
			    ps->lx.bad ? ps->lx.bad : why);
}

/* p_domain_ok - a dot-atom domain: labels non-empty */
static int p_domain_ok(const struct tok *t)
{
	size_t i, label = 0;

	for (i = 0; i < t->len; i++) {
		if (t->p[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else {
			label++;
		}
	}
	return label > 0 || (t->len > 1 && t->p[t->len - 1] == '.');
}

/* p_addr_spec - local "@" domain, at the current token */
static enum ms_status p_addr_spec(struct parser *ps)
{
	struct addr_list *out = ps->out;
	struct tok local = ps->cur, dom;
	char *d;
	size_t i, n;

	if (local.kind != TOK_ATOM && local.kind != TOK_QUOTED)
		return p_fail(ps, "expected an address");
	p_advance(ps);
	if (!p_special(ps, '@'))
		return p_fail(ps, "an address without a domain");
	p_advance(ps);
	dom = ps->cur;
	if (!(dom.kind == TOK_ATOM && p_domain_ok(&dom)) && dom.kind != TOK_LITERAL)
		return p_fail(ps, "an address with a bad domain");
	p_advance(ps);
	if (out->n == ADDR_MAX)
		return ms_error_set(ps->err, MS_ERR_LIMIT,
				    "From: more than %d addresses", ADDR_MAX);
	n = dom.len;
	if (dom.kind == TOK_ATOM && dom.p[n - 1] == '.')
		n--;                    /* a trailing dot names the same domain */
	d = arena_memdup(ps->arena, dom.p, n);
	for (i = 0; i < n; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	out->local[out->n] = arena_memdup(ps->arena, local.p, local.len);
	out->domain[out->n++] = d;
	return MS_OK;
}

/* p_mailbox - name-addr or addr-spec */
static enum ms_status p_mailbox(struct parser *ps)
{
	struct lexer save = ps->lx;
	struct tok first = ps->cur;
	enum ms_status st;
	int words = 0;

	/* addr-spec: a word followed by "@" */
	if (first.kind == TOK_ATOM || first.kind == TOK_QUOTED) {
		p_advance(ps);
		if (p_special(ps, '@')) {
			ps->lx = save;
			ps->cur = first;
			return p_addr_spec(ps);
		}
		ps->lx = save;
		ps->cur = first;
	}
	/* name-addr: [display-name] "<" [route] addr-spec ">" */
	while (ps->cur.kind == TOK_ATOM || ps->cur.kind == TOK_QUOTED) {
		words++;
		p_advance(ps);
	}
	if (p_special(ps, ':') && words)
		return p_fail(ps, "a group, where From takes mailboxes only");
	if (!p_special(ps, '<'))
		return p_fail(ps, "expected an address");
	p_advance(ps);
	if (p_special(ps, '@')) {       /* obsolete route: @a,@b: */
		while (!p_special(ps, ':')) {
			if (ps->cur.kind == TOK_END || ps->cur.kind == TOK_BAD)
				return p_fail(ps, "a bad route");
			p_advance(ps);
		}
		p_advance(ps);
	}
	st = p_addr_spec(ps);
	if (st != MS_OK)
		return st;
	if (!p_special(ps, '>'))
		return p_fail(ps, "expected \">\" after the address");
	p_advance(ps);
	return MS_OK;
}

/* addr_parse_list - the mailboxes of a From field value */
enum ms_status addr_parse_list(const unsigned char *p, size_t len,
			       struct arena *arena, struct addr_list *out,
			       struct ms_error *err)
{
	struct parser ps;
	enum ms_status st;

	memset(&ps, 0, sizeof(ps));
	out->n = 0;
	ps.lx.p = p;
	ps.lx.len = len;
	ps.arena = arena;
	ps.out = out;
	ps.err = err;
	p_advance(&ps);
	for (;;) {
		if (p_special(&ps, ',')) {      /* obsolete empty members */
			p_advance(&ps);
			continue;
		}
		if (ps.cur.kind == TOK_END)
			break;
		st = p_mailbox(&ps);
		if (st != MS_OK)
			return st;
		if (ps.cur.kind == TOK_END)
			break;
		if (!p_special(&ps, ','))
			return p_fail(&ps, "expected \",\" between addresses");
		p_advance(&ps);
	}
	if (ps.lx.bad)
		return p_fail(&ps, ps.lx.bad);
	if (out->n == 0)
		return ms_error_set(err, MS_ERR_SYNTAX, "From: no address");
	return MS_OK;
}
