/*
 * keysource.c - dispatch to a key source.
 */
#include <string.h>

#include "keysource.h"

/* keysource_lookup - ask the source, with no deadline */
void keysource_lookup(struct keysource *ks, const char *name,
		      struct arena *arena, struct key_answer *ans)
{
	keysource_lookup_until(ks, name, 0, arena, ans);
}

/* keysource_lookup_until - ask the source, giving up at deadline_ms */
void keysource_lookup_until(struct keysource *ks, const char *name,
			    uint64_t deadline_ms, struct arena *arena,
			    struct key_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ks->ops->lookup(ks, name, deadline_ms, arena, ans);
}

/* keysource_destroy - release the source */
void keysource_destroy(struct keysource *ks)
{
	if (ks)
		ks->ops->destroy(ks);
}
