/*
 * keysource.c - dispatch to a key source.
 */
#include <string.h>

#include "keysource.h"

/* keysource_lookup - ask the source */
void keysource_lookup(struct keysource *ks, const char *name,
		      struct arena *arena, struct key_answer *ans)
{
	memset(ans, 0, sizeof(*ans));
	ks->ops->lookup(ks, name, arena, ans);
}

/* keysource_destroy - release the source */
void keysource_destroy(struct keysource *ks)
{
	if (ks)
		ks->ops->destroy(ks);
}
