/*
 * test_rediscluster.c - Redis Cluster routing: CRC16 and key slots
 * (values Redis's CLUSTER KEYSLOT gives), hash tags, the key of a
 * command, CLUSTER SLOTS replies (good, and refused without touching
 * the map), MOVED / ASK texts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "rediscluster.h"
#include "unit.h"

static unsigned slot_of(const char *k)
{
	return rc_slot((const unsigned char *)k, strlen(k));
}

static const struct {
	const char *key;
	unsigned slot;
} slots[] = {
	{ "foo", 12182 },
	{ "bar", 5061 },
	{ "hello", 866 },
	{ "{user1000}.following", 3443 },
	{ "foo{}{bar}", 8363 },         /* empty tag: the whole key */
	{ "foo{{bar}}zap", 4015 },      /* tag "{bar" */
	{ "foo{bar}{zap}", 5061 },      /* the first tag: "bar" */
	{ "mailseal:sig:{0123456789abcdef0123456789abcdef}", 1829 },
	{ "mailseal:sigtx:{0123456789abcdef0123456789abcdef}", 1829 },
	{ "{stats}", 7650 },
	{ "", 0 },
	{ "{", 4092 },                  /* no closing brace: the whole key */
	{ "foo{bar", 15278 },
};

/* reply - RESP bytes parsed by hiredis's own reader */
static redisReply *reply(const char *resp)
{
	redisReader *rd = redisReaderCreate();
	void *r = NULL;

	if (redisReaderFeed(rd, resp, strlen(resp)) != REDIS_OK ||
	    redisReaderGetReply(rd, &r) != REDIS_OK)
		r = NULL;
	redisReaderFree(rd);
	return r;
}

#define NODE(p) "*3\r\n$9\r\n127.0.0.1\r\n:" #p "\r\n$3\r\nid1\r\n"

static void test_slots(void)
{
	size_t i;

	CHECK(rc_crc16((const unsigned char *)"123456789", 9) == 0x31C3,
	      "crc16: \"123456789\" is 0x31C3");
	for (i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		CHECK(slot_of(slots[i].key) == slots[i].slot,
		      "slot: \"%s\" is %u (got %u)", slots[i].key, slots[i].slot,
		      slot_of(slots[i].key));
}

static void test_command_slot(void)
{
	const char *get[] = { "GET", "foo" }, *multi[] = { "MULTI" };
	const char *eval[] = { "EVAL", "return 1", "2", "{bar}x", "{bar}y", "a" };
	const char *eval0[] = { "EVAL", "return 1", "0", "a" };
	const char *evalbad[] = { "eval", "return 1", "3", "k" };
	const char *sadd[] = { "SADD", "mailseal:{stats}:nodes", "n1" };
	size_t getl[] = { 3, 3 }, multil[] = { 5 }, evall[] = { 4, 8, 1, 6, 6, 1 };
	size_t eval0l[] = { 4, 8, 1, 1 }, evalbadl[] = { 4, 8, 1, 1 };
	size_t saddl[] = { 4, 22, 2 };

	CHECK(rc_command_slot(2, get, getl) == 12182, "command: GET foo -> 12182");
	CHECK(rc_command_slot(1, multi, multil) == -1, "command: MULTI names no key");
	CHECK(rc_command_slot(6, eval, evall) == 5061,
	      "command: EVAL's slot is its first key's");
	CHECK(rc_command_slot(4, eval0, eval0l) == -1, "command: EVAL with 0 keys");
	CHECK(rc_command_slot(4, evalbad, evalbadl) == -1,
	      "command: EVAL naming more keys than it has");
	CHECK(rc_command_slot(3, sadd, saddl) == 7650, "command: {stats} tag");
}

/* CLUSTER SLOTS replies that must be refused */
static const struct {
	const char *name, *resp;
} refused[] = {
	{ "a slot past 16383", "*1\r\n*3\r\n:0\r\n:16384\r\n" NODE(7002) },
	{ "end before start", "*1\r\n*3\r\n:9\r\n:3\r\n" NODE(7002) },
	{ "a negative slot", "*1\r\n*3\r\n:-1\r\n:3\r\n" NODE(7002) },
	{ "port past 65535", "*1\r\n*3\r\n:0\r\n:3\r\n" NODE(70000) },
	{ "port 0", "*1\r\n*3\r\n:0\r\n:3\r\n" NODE(0) },
	{ "a range without master", "*1\r\n*2\r\n:0\r\n:3\r\n" },
	{ "a string for a number", "*1\r\n*3\r\n$1\r\n0\r\n:3\r\n" NODE(7002) },
	{ "a master that is not an array", "*1\r\n*3\r\n:0\r\n:3\r\n:7\r\n" },
	{ "a master without port", "*1\r\n*3\r\n:0\r\n:3\r\n*1\r\n$1\r\nh\r\n" },
	{ "a range that is not an array", "*1\r\n:5\r\n" },
	{ "an error reply", "-ERR This instance has cluster support disabled\r\n" },
	{ "an empty reply (no slot served)", "*0\r\n" },
};

static void test_map(void)
{
	struct rcmap *m = calloc(1, sizeof(*m));
	size_t i;
	const struct rc_addr *a;
	struct rc_addr moved = { "10.0.0.9", 7009 };
	redisReply *r;

	/* three ranges, two masters with a replica each, Redis 7's metadata */
	r = reply("*3\r\n"
		  "*4\r\n:0\r\n:5460\r\n" NODE(7000) NODE(7003)
		  "*4\r\n:5461\r\n:10922\r\n" NODE(7001) NODE(7004)
		  "*3\r\n:10923\r\n:16383\r\n" NODE(7000));
	CHECK(r && rcmap_parse(m, r) == MS_OK, "map: CLUSTER SLOTS parses");
	freeReplyObject(r);
	CHECK(m->nnodes == 2, "map: masters only (%zu nodes)", m->nnodes);
	a = rcmap_node(m, 0);
	CHECK(a && a->port == 7000, "map: slot 0 at 7000");
	a = rcmap_node(m, 5461);
	CHECK(a && a->port == 7001, "map: slot 5461 at 7001");
	a = rcmap_node(m, 16383);
	CHECK(a && a->port == 7000, "map: slot 16383 at 7000");
	CHECK(rcmap_node(m, 16384) == NULL, "map: no slot 16384");
	CHECK(rcmap_set(m, 5, &moved) == MS_OK && (a = rcmap_node(m, 5)) &&
	      a->port == 7009 && strcmp(a->host, "10.0.0.9") == 0 &&
	      rcmap_node(m, 4)->port == 7000, "map: a MOVED slot alone changes");

	/* refused, and the map unchanged */
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		r = reply(refused[i].resp);
		CHECK(r && rcmap_parse(m, r) == MS_ERR_SYNTAX &&
		      rcmap_node(m, 0) && rcmap_node(m, 0)->port == 7000,
		      "map: %s: refused, the map kept", refused[i].name);
		if (r)
			freeReplyObject(r);
	}
	/* a master whose address is unknown ("?"): its slots unknown */
	r = reply("*2\r\n*3\r\n:0\r\n:99\r\n*2\r\n$1\r\n?\r\n:7000\r\n"
		  "*3\r\n:100\r\n:16383\r\n*2\r\n$4\r\nhost\r\n:7001\r\n");
	CHECK(r && rcmap_parse(m, r) == MS_OK && !rcmap_node(m, 5) &&
	      rcmap_node(m, 100) && rcmap_node(m, 100)->port == 7001,
	      "map: a master named \"?\" is left out");
	freeReplyObject(r);
	free(m);
}

static void test_redirect(void)
{
	static const struct {
		const char *text;
		enum rc_redirect kind;
		unsigned slot;
		const char *host;
		int port;
	} c[] = {
		{ "MOVED 3999 127.0.0.1:6381", RC_MOVED, 3999, "127.0.0.1", 6381 },
		{ "ASK 3999 127.0.0.1:6381", RC_ASK, 3999, "127.0.0.1", 6381 },
		{ "MOVED 16383 ::1:7000", RC_MOVED, 16383, "::1", 7000 },
		{ "MOVED 16384 127.0.0.1:6381", RC_NONE, 0, NULL, 0 },
		{ "MOVED 3999 127.0.0.1", RC_NONE, 0, NULL, 0 },
		{ "MOVED 3999 :6381", RC_NONE, 0, NULL, 0 },
		{ "MOVED 3999 127.0.0.1:0", RC_NONE, 0, NULL, 0 },
		{ "MOVED 3999 127.0.0.1:65536", RC_NONE, 0, NULL, 0 },
		{ "MOVED -1 127.0.0.1:6381", RC_NONE, 0, NULL, 0 },
		{ "MOVED  127.0.0.1:6381", RC_NONE, 0, NULL, 0 },
		{ "MOVED 1 a b:6381", RC_NONE, 0, NULL, 0 },
		{ "ERR unknown command", RC_NONE, 0, NULL, 0 },
		{ "MOVED", RC_NONE, 0, NULL, 0 },
		{ "READONLY You can't write against a read only replica.", RC_NONE, 0, NULL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct rc_addr a = { "", 0 };
		unsigned slot = 0;
		enum rc_redirect k = rc_redirect_parse(c[i].text, strlen(c[i].text),
						       &slot, &a);

		if (c[i].kind == RC_NONE)
			CHECK(k == RC_NONE, "redirect: \"%s\" is none", c[i].text);
		else
			CHECK(k == c[i].kind && slot == c[i].slot &&
			      strcmp(a.host, c[i].host) == 0 && a.port == c[i].port,
			      "redirect: \"%s\" (got %d %u %s:%d)", c[i].text,
			      (int)k, slot, a.host, a.port);
	}
}

int main(void)
{
	test_slots();
	test_command_slot();
	test_map();
	test_redirect();
	return unit_done();
}
